// Live availability check of the education cloud account name on the 「我不喜歡上面的帳號」 page.
// Loaded as a same-origin script (the pages' CSP forbids inline scripts).
(() => {
  const input = document.getElementById('name');
  const status = document.getElementById('name-status');
  if (!input || !status || !input.dataset.checkUrl) return;
  let timer;
  let latest = 0;
  const check = async () => {
    const value = input.value.trim().toLowerCase();
    if (value === '') {
      status.textContent = '';
      input.removeAttribute('aria-invalid');
      return;
    }
    const ticket = ++latest;
    status.textContent = input.dataset.checking || '';
    try {
      const response = await fetch(`${input.dataset.checkUrl}&name=${encodeURIComponent(value)}`, {
        headers: { accept: 'application/json' },
        credentials: 'same-origin',
      });
      if (!response.ok || ticket !== latest) return;
      const result = await response.json();
      status.textContent = result.message;
      status.className = result.available ? 'ok' : 'error';
      if (result.available) input.removeAttribute('aria-invalid');
      else input.setAttribute('aria-invalid', 'true');
    } catch {
      status.textContent = '';
    }
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
  // A suggested name fills the field and is checked at once.
  for (const button of document.querySelectorAll('.suggestions button[data-name]')) {
    button.addEventListener('click', () => {
      input.value = button.dataset.name;
      input.focus();
      clearTimeout(timer);
      check();
    });
  }
})();

// Solves the proof-of-work challenge of a form (ALTCHA's SHA-256 scheme): tries numbers until the
// salted hash matches the one the server gave, then puts the signed solution in the form's hidden
// field. The status line (role="status") says what happens, in the page's language. Served from
// the same origin: the content security policy allows no inline script.
(() => {
  const encoder = new TextEncoder();
  const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');

  async function solve(challenge) {
    const max = Number(challenge.maxnumber) || 1000000;
    for (let number = 0; number <= max; number++) {
      const digest = await crypto.subtle.digest('SHA-256', encoder.encode(challenge.salt + number));
      if (hex(digest) === challenge.challenge) return number;
    }
    return undefined;
  }

  for (const box of document.querySelectorAll('[data-pow-challenge]')) {
    const form = box.closest('form');
    const field = box.querySelector('input[name="altcha"]');
    const status = box.querySelector('[role="status"]');
    if (!form || !field || !status) continue;
    const say = (text) => {
      status.textContent = text;
    };
    let pending;
    let done = false;
    form.addEventListener('submit', (event) => {
      if (done) return;
      event.preventDefault();
      pending = event.submitter ?? null;
    });
    if (!globalThis.crypto?.subtle) {
      say(box.dataset.powFailed);
      continue;
    }
    say(box.dataset.powWorking);
    const challenge = JSON.parse(box.dataset.powChallenge);
    solve(challenge).then(
      (number) => {
        if (number === undefined) return say(box.dataset.powFailed);
        field.value = btoa(
          JSON.stringify({
            algorithm: challenge.algorithm,
            challenge: challenge.challenge,
            number,
            salt: challenge.salt,
            signature: challenge.signature,
          }),
        );
        done = true;
        box.dataset.powSolved = 'true';
        say(box.dataset.powDone);
        if (pending !== undefined) form.requestSubmit(pending ?? undefined);
      },
      () => say(box.dataset.powFailed),
    );
  }
})();

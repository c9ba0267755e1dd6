export { type LoginFormOptions, loginForm } from './form.ts';
export { applyOutcome, handleLogin, type LoginOutcome, loginFormState } from './handler.ts';
export { currentSessionId, loadSignedIn, revokeSessions, signIn, signOut } from './session.ts';

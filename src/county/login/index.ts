export { type LoginFormOptions, loginForm } from './form.ts';
export { applyOutcome, handleLogin, type LoginOutcome, loginFormState } from './handler.ts';
export { currentSessionId, loadSignedIn, revokeSessions, signOut } from './session.ts';
export { recordSignIn } from './sign-in.ts';

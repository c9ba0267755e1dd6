export { SecretBox } from '../security/secret-box.ts';

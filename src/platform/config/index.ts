export { ConfigError, loadConfig, roleUrls } from './load.ts';
export type { Config } from './options.ts';

// ESM entry: the CommonJS module's exports, as named exports.
import cjs from './index.js';

export const { Client, GetAvatarError, version, libraryPath, STATUS_NAMES } = cjs;
export default cjs;

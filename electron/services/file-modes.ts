/**
 * Mail, attachments, logs and the database belong to the user alone: on a shared machine no other
 * account may read them. Every folder and file the app creates in its data folder uses these modes
 * (parse-worker.mjs spells the same numbers, as it cannot import TypeScript).
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

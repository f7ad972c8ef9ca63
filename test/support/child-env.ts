/**
 * What the crash-test children (outbox-core-child.ts, team-core-child.ts) are told through their
 * environment: the data folder, the keychain service and a conversation. Exits with code 2 when
 * one is missing, so a wrong setup is not mistaken for the crash under test.
 */
export function childCoreEnv(): { dataDir: string; keychainService: string; conversation: number } {
  const dataDir = process.env.AUX_CHILD_DATA_DIR;
  const keychainService = process.env.AUX_CHILD_KEYCHAIN;
  const conversation = Number(process.env.AUX_CHILD_CONVERSATION);
  if (!dataDir || !keychainService || !Number.isInteger(conversation)) {
    console.error('AUX_CHILD_DATA_DIR, AUX_CHILD_KEYCHAIN and AUX_CHILD_CONVERSATION are required');
    process.exit(2);
  }
  return { dataDir, keychainService, conversation };
}

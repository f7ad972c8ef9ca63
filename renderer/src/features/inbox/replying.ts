import { useEffect } from 'react';
import { invoke } from '../../lib/api';

/** Well within the minute the main side lets "is replying" last without a word. */
const REFRESH_MS = 20_000;

/**
 * Tells the team while this agent is writing a reply in a conversation (the composer has reply
 * text), and when they stop: the text is emptied or sent, they open another conversation, or leave.
 */
export function useReplyingPresence(conversationId: number, writing: boolean): void {
  useEffect(() => {
    if (!writing) return undefined;
    const say = (active: boolean) => void invoke('conversations:set-replying', { id: conversationId, active });
    say(true);
    const timer = setInterval(() => say(true), REFRESH_MS);
    return () => {
      clearInterval(timer);
      say(false);
    };
  }, [conversationId, writing]);
}

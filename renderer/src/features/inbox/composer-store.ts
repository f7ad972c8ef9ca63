import { create } from 'zustand';
import { attachmentLimitProblem, decodedLength, type OutgoingAttachment } from '../../../../shared/attachments';
import { contract } from '../../../../shared/contract';
import type { Message } from '../../../../shared/conversation';
import type { AppError } from '../../../../shared/errors';
import { invoke } from '../../lib/api';
import { useConversationStore } from './conversation-store';

/**
 * The one composer of the open conversation: Reply, Reply all, or an internal Note. What the agent
 * types is a draft on the main side (saved ~500 ms after the last keystroke, so it survives a
 * restart); a reply is queued with an undo window, and Undo or Edit puts its text and attachments
 * back here. Attached files are held in memory (per conversation, until sent or the page closes).
 */

export type ComposerMode = 'reply' | 'reply-all' | 'note';
export type ReplyMode = Exclude<ComposerMode, 'note'>;

/** How long a sent reply can still be taken back. */
export const UNDO_SECONDS = 5;
export const DRAFT_DELAY_MS = 500;

/** Where the text box's draft is: nothing to save, loading, typed but not yet saved, saving, saved, or the save failed. */
export type DraftStatus = 'empty' | 'loading' | 'unsaved' | 'saving' | 'saved' | 'failed';

/** A file attached to the reply being written: its bytes as base64, as the contract carries them. */
export interface PickedFile extends OutgoingAttachment {
  key: string;
  size: number;
}

export interface PendingSend {
  messageId: number;
  conversationId: number;
  mode: ReplyMode;
  /** Local clock (ms) when the undo window closes. */
  until: number;
}

export interface ComposerState {
  conversationId: number | null;
  mode: ComposerMode;
  text: string;
  draft: DraftStatus;
  /** The text box's own message (e.g. "Write a reply first"). */
  textError: string | null;
  /** A failed send, undo, retry or edit, shown under the text box. */
  error: { title: string; error: AppError } | null;
  busy: boolean;
  /** A reply inside its undo window. */
  pending: PendingSend | null;
  undoing: boolean;
  /** After the window: the reply whose delivery state the status bar follows. */
  tracked: { messageId: number; conversationId: number } | null;
  /** Bumped whenever the text box should take focus (mode chosen, text put back). */
  focusRequest: number;
  /** Files to send with the reply. */
  attachments: PickedFile[];
  /** Why a picked file was not added (over the size limit, unreadable). */
  attachError: string | null;

  open(conversationId: number | null): void;
  setMode(mode: ComposerMode): void;
  setText(text: string): void;
  /** Adds files from disk, refusing any that would take the total over the limit. */
  addFiles(files: readonly File[]): Promise<void>;
  removeAttachment(key: string): void;
  submit(): Promise<void>;
  undo(): Promise<void>;
  /** The undo window is over: follow the reply's delivery state instead. */
  windowEnded(): void;
  stopTracking(): void;
  /** Edit a failed reply: take it out of the outbox and put its text back into the composer. */
  edit(message: Message): Promise<AppError | null>;
  retry(messageId: number): Promise<AppError | null>;
  dismissError(): void;
  /** Save a draft that is still waiting for its debounce, at once. */
  flushDraft(): Promise<void>;
}

const replyText = contract['conversations:send-reply'].input.shape.text;
const noteText = contract['conversations:add-note'].input.shape.text;

let openGeneration = 0;
let draftTimer: ReturnType<typeof setTimeout> | null = null;
let draftJob: { conversationId: number; text: string } | null = null;
/** Saves go one after another, so an older text never lands after a newer one. */
let saveChain: Promise<unknown> = Promise.resolve();
let saveSeq = 0;
/** Attachments of conversations the agent left before sending, until they come back to them. */
const keptFiles = new Map<number, PickedFile[]>();
let fileSeq = 0;

function picked(file: OutgoingAttachment): PickedFile {
  return { ...file, key: `f${++fileSeq}`, size: decodedLength(file.content) };
}

/** A file's bytes as base64, read by the browser (a data: URL without its prefix). */
function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error('unreadable'));
    reader.readAsDataURL(file);
  });
}

export const useComposerStore = create<ComposerState>()((set, get) => {
  function saveDraft(conversationId: number, text: string): Promise<void> {
    const seq = ++saveSeq;
    const run = saveChain.then(async () => {
      const result = await invoke('drafts:save', { conversationId, text });
      // Only the newest save for the open conversation says how the draft is.
      if (seq !== saveSeq || draftJob || get().conversationId !== conversationId) return;
      if (!result.ok) set({ draft: 'failed' });
      else if (get().draft === 'saving') set({ draft: get().text.trim() ? 'saved' : 'empty' });
    });
    saveChain = run.catch(() => undefined);
    return run;
  }

  async function flush(): Promise<void> {
    if (draftTimer) clearTimeout(draftTimer);
    draftTimer = null;
    const job = draftJob;
    draftJob = null;
    if (!job) return;
    if (get().conversationId === job.conversationId) set({ draft: 'saving' });
    await saveDraft(job.conversationId, job.text);
  }

  function scheduleSave(conversationId: number, text: string): void {
    draftJob = { conversationId, text };
    if (draftTimer) clearTimeout(draftTimer);
    draftTimer = setTimeout(() => void flush(), DRAFT_DELAY_MS);
  }

  /** Forget any waiting save for this conversation and store an empty draft (the text was sent). */
  function clearDraft(conversationId: number): void {
    if (draftJob?.conversationId === conversationId) {
      if (draftTimer) clearTimeout(draftTimer);
      draftTimer = null;
      draftJob = null;
    }
    void saveDraft(conversationId, '');
  }

  /**
   * Text and attachments that came back from the outbox go into the composer: the text above
   * anything typed since, the files before any attached since.
   */
  async function putBack(conversationId: number, mode: ReplyMode, back: { text: string; attachments: OutgoingAttachment[] }): Promise<void> {
    const { text } = back;
    const files = back.attachments.map(picked);
    if (get().conversationId === conversationId) {
      const current = get().text;
      const merged = current.trim() ? `${text}\n\n${current}` : text;
      set((s) => ({ text: merged, mode, textError: null, draft: 'unsaved', focusRequest: s.focusRequest + 1, attachments: [...files, ...s.attachments] }));
      scheduleSave(conversationId, merged);
      return;
    }
    // The agent moved on: keep the files for when they come back, and the text as that conversation's draft.
    if (files.length > 0) keptFiles.set(conversationId, [...files, ...(keptFiles.get(conversationId) ?? [])]);
    await flush();
    const existing = await invoke('drafts:get', { conversationId });
    const current = existing.ok ? existing.value.text : '';
    await saveDraft(conversationId, current.trim() ? `${text}\n\n${current}` : text);
  }

  return {
    conversationId: null,
    mode: 'reply',
    text: '',
    draft: 'empty',
    textError: null,
    error: null,
    busy: false,
    pending: null,
    undoing: false,
    tracked: null,
    focusRequest: 0,
    attachments: [],
    attachError: null,

    open(conversationId) {
      const left = get().conversationId;
      if (conversationId === left) return;
      // The draft of the conversation being left is saved now, not lost with the timer.
      void flush();
      if (left !== null && get().attachments.length > 0) keptFiles.set(left, get().attachments);
      const attachments = (conversationId !== null && keptFiles.get(conversationId)) || [];
      if (conversationId !== null) keptFiles.delete(conversationId);
      const gen = ++openGeneration;
      set({
        conversationId,
        mode: 'reply',
        text: '',
        draft: conversationId === null ? 'empty' : 'loading',
        textError: null,
        error: null,
        busy: false,
        tracked: null,
        attachments,
        attachError: null,
      });
      if (conversationId === null) return;
      void invoke('drafts:get', { conversationId }).then((result) => {
        if (gen !== openGeneration || get().conversationId !== conversationId) return;
        if (result.ok && result.value.text && !get().text) set({ text: result.value.text, draft: 'saved' });
        else if (get().draft === 'loading') set({ draft: get().text ? 'unsaved' : 'empty' });
      });
    },

    setMode(mode) {
      set((s) => ({ mode, textError: null, focusRequest: s.focusRequest + 1 }));
    },

    setText(text) {
      const id = get().conversationId;
      set({ text, textError: null, draft: 'unsaved' });
      if (id !== null) scheduleSave(id, text);
    },

    async addFiles(files) {
      const id = get().conversationId;
      if (id === null || files.length === 0) return;
      // Checked on sizes before anything is read; a file that does not fit is left out, the rest are added.
      const accepted: File[] = [];
      let problem: string | null = null;
      for (const file of files) {
        const all = [...get().attachments, ...accepted, file].map((f) => ({ filename: 'filename' in f ? f.filename : f.name, size: f.size }));
        const refused = attachmentLimitProblem(all);
        if (refused) problem ??= refused;
        else accepted.push(file);
      }
      set({ attachError: problem });
      const read: PickedFile[] = [];
      for (const file of accepted) {
        try {
          read.push(picked({ filename: file.name, contentType: file.type, content: await readBase64(file) }));
        } catch {
          problem ??= `“${file.name}” could not be read.`;
        }
      }
      if (get().conversationId !== id) {
        keptFiles.set(id, [...(keptFiles.get(id) ?? []), ...read]);
        return;
      }
      set((s) => ({ attachments: [...s.attachments, ...read], attachError: problem }));
    },

    removeAttachment(key) {
      set((s) => ({ attachments: s.attachments.filter((f) => f.key !== key), attachError: null }));
    },

    async submit() {
      const { conversationId: id, mode, text, busy, attachments } = get();
      if (id === null || busy) return;
      const parsed = (mode === 'note' ? noteText : replyText).safeParse(text);
      if (!parsed.success) {
        set((s) => ({ textError: parsed.error.issues[0]?.message ?? 'Check the text', focusRequest: s.focusRequest + 1 }));
        return;
      }
      set({ busy: true, textError: null, error: null });

      if (mode === 'note') {
        const failed = await useConversationStore.getState().addNote(text);
        if (get().conversationId !== id) return;
        if (failed) {
          set({ busy: false, error: { title: 'The note was not added.', error: failed } });
          return;
        }
        set({ busy: false, text: '', draft: 'empty' });
        clearDraft(id);
        return;
      }

      const files = attachments.map(({ filename, contentType, content }) => ({ filename, contentType, content }));
      const result = await invoke('conversations:send-reply', { id, mode, text, undoSeconds: UNDO_SECONDS, attachments: files });
      if (!result.ok) {
        if (get().conversationId === id) set({ busy: false, error: { title: 'The reply was not sent.', error: result.error } });
        return;
      }
      useConversationStore.getState().upsertMessage(result.value);
      const pending: PendingSend = { messageId: result.value.id, conversationId: id, mode, until: Date.now() + UNDO_SECONDS * 1000 };
      clearDraft(id);
      if (get().conversationId === id) set({ busy: false, text: '', draft: 'empty', pending, tracked: null, attachments: [], attachError: null });
      else {
        keptFiles.delete(id);
        set({ pending });
      }
    },

    async undo() {
      const pending = get().pending;
      if (!pending || get().undoing) return;
      set({ undoing: true });
      const result = await invoke('outbox:cancel', { messageId: pending.messageId });
      if (!result.ok) {
        // Too late (it is already on its way) or gone: say so, and follow what happens to it.
        set({
          undoing: false,
          pending: null,
          tracked: { messageId: pending.messageId, conversationId: pending.conversationId },
          error: { title: 'The reply could not be undone.', error: result.error },
        });
        return;
      }
      useConversationStore.getState().removeMessage(pending.messageId);
      set({ undoing: false, pending: null });
      await putBack(pending.conversationId, pending.mode, result.value);
    },

    windowEnded() {
      const pending = get().pending;
      if (!pending) return;
      set({ pending: null, tracked: { messageId: pending.messageId, conversationId: pending.conversationId } });
      // The change event normally brings the new state; this makes sure the bar does not wait for it.
      void useConversationStore.getState().refresh();
    },

    stopTracking() {
      set({ tracked: null });
    },

    async edit(message) {
      const result = await invoke('outbox:cancel', { messageId: message.id });
      if (!result.ok) return result.error;
      useConversationStore.getState().removeMessage(message.id);
      if (get().tracked?.messageId === message.id) set({ tracked: null });
      await putBack(message.conversationId, message.cc.length > 0 ? 'reply-all' : 'reply', result.value);
      return null;
    },

    async retry(messageId) {
      const result = await invoke('outbox:retry', { messageId });
      if (!result.ok) return result.error;
      useConversationStore.getState().upsertMessage(result.value);
      set({ tracked: { messageId, conversationId: result.value.conversationId } });
      return null;
    },

    dismissError() {
      set({ error: null });
    },

    flushDraft() {
      return flush();
    },
  };
});

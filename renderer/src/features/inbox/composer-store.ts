import { create } from 'zustand';
import { attachmentLimitProblem, type DraftAttachment } from '../../../../shared/attachments';
import { contract, type ParsedInput } from '../../../../shared/contract';
import type { ConversationDetail, Message } from '../../../../shared/conversation';
import { formatRecipientList, parseRecipientList, type ChosenRecipients } from '../../../../shared/recipient-list';
import type { AppError } from '../../../../shared/errors';
import { invoke } from '../../lib/api';
import { useConversationStore } from './conversation-store';

/**
 * The one composer of the open conversation: Reply, Reply all, Forward, or an internal Note. What the agent
 * types is a draft on the main side (saved ~500 ms after the last keystroke, so it survives a
 * restart), and so is every attached file, uploaded the moment it is picked; a reply is queued with
 * an undo window and takes the draft's files with it, and Undo or Edit puts its text and files back.
 */

export type ComposerMode = 'reply' | 'reply-all' | 'forward' | 'note';
export type ReplyMode = Exclude<ComposerMode, 'note'>;

/** How long a sent reply can still be taken back. */
export const UNDO_SECONDS = 5;
export const DRAFT_DELAY_MS = 500;

/** Where the text box's draft is: nothing to save, loading, typed but not yet saved, saving, saved, or the save failed. */
export type DraftStatus = 'empty' | 'loading' | 'unsaved' | 'saving' | 'saved' | 'failed';

/** A file in the composer's list: stored with the draft (`id`), or still uploading (`id` null). */
export interface ListedFile {
  key: string;
  id: number | null;
  filename: string;
  size: number;
}

export type RecipientField = 'to' | 'cc' | 'bcc';
/** To, Cc and Bcc as typed in the composer's fields. */
export type RecipientFields = Record<RecipientField, string>;

/**
 * Someone else answered while this draft was being written, or is answering right now: shown on
 * Send, which then waits for the agent to send anyway or go back and read.
 */
export type Collision = { kind: 'replied'; who: string; at: string } | { kind: 'replying'; who: string };

export interface PendingSend {
  messageId: number;
  conversationId: number;
  mode: ReplyMode;
  /** What Undo puts back besides the text: the forwarded message, the fields as they were sent. */
  restore: Restore;
  /** Local clock (ms) when the undo window closes. */
  until: number;
}

export interface Restore {
  forwardOf: number | null;
  recipients: RecipientFields | null;
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
  /** The draft's files, which go with the reply. */
  attachments: ListedFile[];
  /** Why a picked file was not added (over the size limit, unreadable, refused) or not removed. */
  attachError: string | null;
  /** To, Cc and Bcc as the agent edited them; null while they are the mode's defaults. */
  recipients: RecipientFields | null;
  /** Why a recipient field cannot be sent as it is. */
  recipientErrors: Partial<Record<RecipientField, string>>;
  /** Forward: the message of the thread that is forwarded. */
  forwardOf: number | null;
  /** The newest message of the thread when the agent began this draft: later replies by others are a collision. */
  threadSeen: number | null;
  collision: Collision | null;

  open(conversationId: number | null): void;
  setMode(mode: ComposerMode): void;
  /** Forward `messageId` of the open conversation. */
  forward(messageId: number): void;
  /** The fields as the agent edits them (all three, so the defaults shown become the edited values). */
  setRecipients(fields: RecipientFields): void;
  /** The thread as the composer shows it: a draft loaded before its thread begins at the thread's newest message. */
  sawThread(detail: ConversationDetail): void;
  /** Back to the draft without sending; the replies shown are now seen. */
  dismissCollision(): void;
  setText(text: string): void;
  /** Puts `snippet` into the text at `at` (the cursor), e.g. a saved reply. */
  insertText(snippet: string, at: number): void;
  /** Uploads files from disk to the draft, refusing any that would take the total over the limit. */
  addFiles(files: readonly File[]): Promise<void>;
  removeAttachment(key: string): Promise<void>;
  /** Sends (or adds the note); `anyway` sends past a collision the agent was shown. */
  submit(options?: { anyway?: boolean }): Promise<void>;
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

const replyInput = contract['conversations:send-reply'].input;
const noteText = contract['conversations:add-note'].input.shape.text;

/** The newest message id of the open conversation's thread, when `conversationId` is the one open. */
function newestMessageId(conversationId: number): number | null {
  const detail = useConversationStore.getState().detail;
  if (!detail || detail.conversation.id !== conversationId) return null;
  return detail.messages.reduce((max, m) => Math.max(max, m.id), 0);
}

/** The newest message of the open thread that can be forwarded (anything but a note). */
function newestForwardable(): number | null {
  const detail = useConversationStore.getState().detail;
  return detail?.messages.findLast((m) => m.direction !== 'note')?.id ?? null;
}

/** "Grace" from an X-Auxilium-Agent "Grace <grace@acme.test>". */
function agentName(sentBy: string): string {
  return /^(.*?)\s*<[^<>]*>$/.exec(sentBy)?.[1]?.trim() || sentBy;
}

/**
 * A reply by someone else since `seen`: one found in the mailbox (the Sent folder of the shared
 * account), not sent from this desktop. Else a teammate writing here right now.
 */
export function collisionIn(detail: ConversationDetail, seen: number | null): Collision | null {
  const replied = seen === null ? undefined : detail.messages.findLast((m) => m.direction === 'outbound' && m.delivery === null && m.id > seen);
  if (replied) return { kind: 'replied', who: replied.sentBy ? agentName(replied.sentBy) : 'Someone using another mail program', at: replied.date };
  const replying = detail.conversation.replying ?? [];
  return replying.length > 0 ? { kind: 'replying', who: replying.join(' and ') } : null;
}

/** The recipient fields parsed, or the problems per field. */
function parseFields(fields: RecipientFields): { ok: true; value: ChosenRecipients } | { ok: false; errors: Partial<Record<RecipientField, string>> } {
  const errors: Partial<Record<RecipientField, string>> = {};
  const value: ChosenRecipients = { to: [], cc: [], bcc: [] };
  for (const field of ['to', 'cc', 'bcc'] as const) {
    const parsed = parseRecipientList(fields[field]);
    if (parsed.ok) value[field] = parsed.value;
    else errors[field] = parsed.error;
  }
  if (!errors.to && value.to.length === 0) errors.to = 'Enter at least one To address';
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, value };
}

let openGeneration = 0;
let draftTimer: ReturnType<typeof setTimeout> | null = null;
let draftJob: { conversationId: number; text: string } | null = null;
/** Saves go one after another, so an older text never lands after a newer one. */
let saveChain: Promise<unknown> = Promise.resolve();
let saveSeq = 0;
/** Uploads go one at a time (each file is read into memory whole); Send waits for them. */
let uploads: Promise<void> = Promise.resolve();
let uploadFailures = 0;
let uploadSeq = 0;

function listed(file: DraftAttachment): ListedFile {
  return { key: `a${file.id}`, id: file.id, filename: file.filename, size: file.size };
}

/** `stored` first, then what the list had that is not among them (uploads still running, files stored since). */
function storedFirst(stored: readonly DraftAttachment[], list: readonly ListedFile[]): ListedFile[] {
  return [...stored.map(listed), ...list.filter((f) => !stored.some((s) => s.id === f.id))];
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
   * anything typed since, the files (already back in the draft on the main side) before any
   * attached since.
   */
  async function putBack(conversationId: number, mode: ReplyMode, restore: Restore, back: { text: string; attachments: DraftAttachment[] }): Promise<void> {
    const { text } = back;
    if (get().conversationId === conversationId) {
      const current = get().text;
      const merged = current.trim() ? `${text}\n\n${current}` : text;
      set((s) => ({
        text: merged,
        mode,
        ...restore,
        recipientErrors: {},
        textError: null,
        draft: 'unsaved',
        focusRequest: s.focusRequest + 1,
        attachments: storedFirst(back.attachments, s.attachments),
      }));
      scheduleSave(conversationId, merged);
      return;
    }
    // The agent moved on: the files are in that conversation's draft already; the text goes there too.
    await flush();
    const existing = await invoke('drafts:get', { conversationId });
    const current = existing.ok ? existing.value.text : '';
    await saveDraft(conversationId, current.trim() ? `${text}\n\n${current}` : text);
  }

  /**
   * Stores one picked file with the conversation's draft; returns why it was not stored, or null.
   * The stored file takes its placeholder's place in the list (or is added, when the agent left
   * and came back meanwhile).
   */
  async function upload(conversationId: number, file: File, key: string): Promise<string | null> {
    let content: string;
    try {
      content = await readBase64(file);
    } catch {
      return `“${file.name}” could not be read.`;
    }
    const result = await invoke('drafts:add-attachment', { conversationId, filename: file.name, contentType: file.type, content });
    if (!result.ok) {
      // The limit message names the file already; others do not.
      const { message } = result.error;
      return message.includes(file.name) ? message : `“${file.name}” was not attached: ${message}`;
    }
    const stored = listed(result.value);
    set((s) => {
      if (s.conversationId !== conversationId) return {};
      if (s.attachments.some((f) => f.key === key)) return { attachments: s.attachments.map((f) => (f.key === key ? stored : f)) };
      return s.attachments.some((f) => f.id === stored.id) ? {} : { attachments: [...s.attachments, stored] };
    });
    return null;
  }

  /**
   * The reply as the contract takes it, or null after showing what is wrong (at the field, or under
   * the text). Edited fields, and a forward's (which has no defaults), are sent as typed; otherwise
   * the main side applies the reply's defaults, the same ones the composer shows.
   */
  function checkedReply(id: number, mode: ReplyMode, text: string): ParsedInput<'conversations:send-reply'> | null {
    let recipients: ChosenRecipients | undefined;
    const fields = get().recipients ?? (mode === 'forward' ? { to: '', cc: '', bcc: '' } : null);
    if (fields) {
      const parsed = parseFields(fields);
      if (!parsed.ok) {
        set({ recipientErrors: parsed.errors });
        return null;
      }
      recipients = parsed.value;
    }
    const forwardOf = mode === 'forward' ? (get().forwardOf ?? undefined) : undefined;
    const checked = replyInput.safeParse({
      id,
      mode,
      text,
      undoSeconds: UNDO_SECONDS,
      ...(recipients ? { recipients } : {}),
      ...(forwardOf === undefined ? {} : { forwardOf }),
    });
    if (checked.success) return checked.data;
    const issue = checked.error.issues[0];
    if (issue?.path[0] === 'recipients') set({ recipientErrors: { [String(issue.path[1] ?? 'to')]: issue.message } });
    else set((s) => ({ textError: issue?.message ?? 'Check the text', focusRequest: s.focusRequest + 1 }));
    return null;
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
    recipients: null,
    recipientErrors: {},
    forwardOf: null,
    threadSeen: null,
    collision: null,

    open(conversationId) {
      const left = get().conversationId;
      if (conversationId === left) return;
      // The draft of the conversation being left is saved now, not lost with the timer.
      void flush();
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
        attachments: [],
        attachError: null,
        recipients: null,
        recipientErrors: {},
        forwardOf: null,
        threadSeen: null,
        collision: null,
      });
      if (conversationId === null) return;
      void invoke('drafts:get', { conversationId }).then((result) => {
        if (gen !== openGeneration || get().conversationId !== conversationId) return;
        if (result.ok) set((s) => ({ attachments: storedFirst(result.value.attachments, s.attachments) }));
        if (result.ok && result.value.text && !get().text) set({ text: result.value.text, draft: 'saved', threadSeen: newestMessageId(conversationId) });
        else if (get().draft === 'loading') set({ draft: get().text ? 'unsaved' : 'empty' });
      });
    },

    setMode(mode) {
      // Each mode starts from its own recipients: Reply's, Reply all's, or nobody yet for a forward.
      const forwardOf = mode === 'forward' ? (get().forwardOf ?? newestForwardable()) : null;
      set((s) => ({ mode, forwardOf, recipients: null, recipientErrors: {}, collision: null, textError: null, focusRequest: s.focusRequest + 1 }));
    },

    forward(messageId) {
      set((s) => ({
        mode: 'forward',
        forwardOf: messageId,
        recipients: null,
        recipientErrors: {},
        collision: null,
        textError: null,
        focusRequest: s.focusRequest + 1,
      }));
    },

    setRecipients(fields) {
      const errors = { ...get().recipientErrors };
      for (const field of ['to', 'cc', 'bcc'] as const) if (fields[field] !== get().recipients?.[field]) delete errors[field];
      set({ recipients: fields, recipientErrors: errors });
    },

    sawThread(detail) {
      const { conversationId, text, threadSeen } = get();
      if (detail.conversation.id !== conversationId || threadSeen !== null || !text.trim()) return;
      set({ threadSeen: detail.messages.reduce((max, m) => Math.max(max, m.id), 0) });
    },

    dismissCollision() {
      const id = get().conversationId;
      set((s) => ({ collision: null, threadSeen: id === null ? null : newestMessageId(id), focusRequest: s.focusRequest + 1 }));
    },

    setText(text) {
      const id = get().conversationId;
      // The draft begins (or ends): replies by others are counted from here.
      const began = !get().text.trim() && text.trim() !== '';
      const threadSeen = !text.trim() || id === null ? null : began ? newestMessageId(id) : get().threadSeen;
      set({ text, textError: null, draft: 'unsaved', threadSeen });
      if (id !== null) scheduleSave(id, text);
    },

    insertText(snippet, at) {
      const { text } = get();
      const position = Math.max(0, Math.min(at, text.length));
      get().setText(text.slice(0, position) + snippet + text.slice(position));
      set((s) => ({ focusRequest: s.focusRequest + 1 }));
    },

    async addFiles(files) {
      const id = get().conversationId;
      if (id === null || files.length === 0) return;
      // Checked on sizes before anything is read; a file that does not fit is left out, the rest are added.
      const accepted: ListedFile[] = [];
      const picked = new Map<string, File>();
      let problem: string | null = null;
      for (const file of files) {
        const entry: ListedFile = { key: `u${++uploadSeq}`, id: null, filename: file.name, size: file.size };
        const refused = attachmentLimitProblem([...get().attachments, ...accepted, entry]);
        if (refused) problem ??= refused;
        else {
          accepted.push(entry);
          picked.set(entry.key, file);
        }
      }
      // Listed at once, as uploading, until the main side has stored them with the draft.
      set((s) => ({ attachments: [...s.attachments, ...accepted], attachError: problem }));
      const run = uploads.then(async () => {
        for (const entry of accepted) {
          const failed = await upload(id, picked.get(entry.key)!, entry.key);
          if (!failed) continue;
          uploadFailures += 1;
          if (get().conversationId === id) set((s) => ({ attachments: s.attachments.filter((f) => f.key !== entry.key), attachError: failed }));
        }
      });
      uploads = run.catch(() => undefined);
      await run;
    },

    async removeAttachment(key) {
      const id = get().conversationId;
      const file = get().attachments.find((f) => f.key === key);
      if (!file || file.id === null) return;
      const result = await invoke('drafts:remove-attachment', { id: file.id });
      if (get().conversationId !== id) return;
      if (!result.ok) set({ attachError: `“${file.filename}” was not removed: ${result.error.message}` });
      else set((s) => ({ attachments: s.attachments.filter((f) => f.key !== key), attachError: null }));
    },

    async submit(options = {}) {
      const { conversationId: id, mode, text, busy } = get();
      if (id === null || busy) return;
      if (mode === 'note') {
        const parsed = noteText.safeParse(text);
        if (!parsed.success) {
          set((s) => ({ textError: parsed.error.issues[0]?.message ?? 'Check the text', focusRequest: s.focusRequest + 1 }));
          return;
        }
        set({ busy: true, textError: null, error: null, collision: null });
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

      const request = checkedReply(id, mode, text);
      if (!request) return;
      // Someone else answered since this draft began, or is answering now: the agent decides.
      if (mode !== 'forward' && !options.anyway) {
        const detail = useConversationStore.getState().detail;
        const collision = detail && detail.conversation.id === id ? collisionIn(detail, get().threadSeen) : null;
        if (collision) {
          set({ collision });
          return;
        }
      }
      set({ busy: true, textError: null, error: null, recipientErrors: {}, collision: null });

      // The reply takes the files stored with the draft: wait for any still uploading, and do not send
      // when one failed (the agent sees why, next to the list).
      if (get().attachments.some((f) => f.id === null)) {
        const failures = uploadFailures;
        await uploads;
        if (uploadFailures !== failures) {
          if (get().conversationId === id) set({ busy: false });
          return;
        }
      }
      const result = await invoke('conversations:send-reply', request);
      if (!result.ok) {
        if (get().conversationId === id) set({ busy: false, error: { title: 'The reply was not sent.', error: result.error } });
        return;
      }
      useConversationStore.getState().upsertMessage(result.value);
      const restore: Restore = { forwardOf: request.forwardOf ?? null, recipients: get().recipients };
      const pending: PendingSend = { messageId: result.value.id, conversationId: id, mode, restore, until: Date.now() + UNDO_SECONDS * 1000 };
      clearDraft(id);
      if (get().conversationId === id) {
        // The next message starts afresh: the mode's default recipients, and Reply after a forward.
        set({
          busy: false,
          text: '',
          draft: 'empty',
          pending,
          tracked: null,
          attachments: [],
          attachError: null,
          threadSeen: null,
          recipients: null,
          ...(mode === 'forward' ? { mode: 'reply', forwardOf: null } : {}),
        });
      } else set({ pending });
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
      await putBack(pending.conversationId, pending.mode, pending.restore, result.value);
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
      // Back as it was sent, recipients included: a refused address can be corrected before sending again.
      const mode: ReplyMode = message.forwardOf ? 'forward' : message.cc.length > 0 ? 'reply-all' : 'reply';
      const recipients = { to: formatRecipientList(message.to), cc: formatRecipientList(message.cc), bcc: formatRecipientList(message.bcc ?? []) };
      await putBack(message.conversationId, mode, { forwardOf: message.forwardOf ?? null, recipients }, result.value);
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

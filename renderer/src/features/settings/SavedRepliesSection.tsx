import { useEffect, useState } from 'react';
import type { AppError } from '../../../../shared/errors';
import type { SavedReply } from '../../../../shared/saved-replies';
import { savedReplyInput } from '../../../../shared/saved-replies';
import { ConfirmDeleteDialog } from '../../components/ConfirmDeleteDialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useSavedRepliesStore } from '../inbox/saved-replies-store';

/** One saved reply's name and text, for adding a new one or changing one. */
function SavedReplyForm({ reply, onDone }: { reply: SavedReply | null; onDone(): void }) {
  const [name, setName] = useState(reply?.name ?? '');
  const [body, setBody] = useState(reply?.body ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const prefix = reply ? `saved-${reply.id}` : 'saved-new';

  async function submit() {
    const parsed = savedReplyInput.safeParse({ id: reply?.id, name, body });
    if (!parsed.success) {
      setProblem(parsed.error.issues[0]?.message ?? 'Check the fields');
      return;
    }
    setProblem(null);
    const failed = await useSavedRepliesStore.getState().save(parsed.data);
    if (failed) setError(failed);
    else onDone();
  }

  return (
    <form
      className="saved-form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <div className="field">
        <label className="field-label" htmlFor={`${prefix}-name`}>
          Name
        </label>
        <input id={`${prefix}-name`} className="input" value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <label className="field-label" htmlFor={`${prefix}-body`}>
          Text
        </label>
        <textarea id={`${prefix}-body`} className="input textarea" rows={4} value={body} onChange={(e) => setBody(e.target.value)} />
      </div>
      {problem ? (
        <p className="field-error" role="alert">
          {problem}
        </p>
      ) : null}
      {error ? <ErrorAlert error={error} title="The saved reply was not saved." onDismiss={() => setError(null)} /> : null}
      <div className="saved-form-actions">
        <button type="submit" className="btn btn-primary btn-small">
          {reply ? 'Save changes' : 'Add saved reply'}
        </button>
        <button type="button" className="btn btn-ghost btn-small" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The team's saved replies: add, change, delete. Agents insert them in the composer (Ctrl+/). */
export function SavedRepliesSection() {
  const replies = useSavedRepliesStore((s) => s.replies);
  const [editing, setEditing] = useState<SavedReply | 'new' | null>(null);
  const [deleting, setDeleting] = useState<SavedReply | null>(null);

  useEffect(() => useSavedRepliesStore.getState().subscribe(), []);

  return (
    <section className="panel" aria-labelledby="saved-replies-title">
      <div className="panel-header">
        <div>
          <h2 id="saved-replies-title" className="panel-title">
            Saved replies
          </h2>
          <p className="muted">Answers the whole team reuses. In a reply, press Ctrl+/ (⌘/ on a Mac) to search and insert one.</p>
        </div>
        {editing === null ? (
          <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
            New saved reply
          </button>
        ) : null}
      </div>
      {editing === 'new' ? <SavedReplyForm reply={null} onDone={() => setEditing(null)} /> : null}
      {replies.length === 0 && editing === null ? <p className="muted">No saved replies yet.</p> : null}
      <ul role="list" className="saved-admin-list" aria-label="Saved replies">
        {replies.map((reply) => (
          <li key={reply.id} className="saved-admin-row" aria-label={reply.name}>
            {editing !== null && editing !== 'new' && editing.id === reply.id ? (
              <SavedReplyForm reply={reply} onDone={() => setEditing(null)} />
            ) : (
              <>
                <span className="saved-admin-text">
                  <strong>{reply.name}</strong>
                  <span className="muted saved-body">{reply.body}</span>
                </span>
                <span className="agent-actions">
                  <button type="button" className="btn btn-ghost btn-small" onClick={() => setEditing(reply)}>
                    Edit<span className="sr-only"> {reply.name}</span>
                  </button>
                  <button type="button" className="btn btn-danger-ghost btn-small" onClick={() => setDeleting(reply)}>
                    Delete<span className="sr-only"> {reply.name}</span>
                  </button>
                </span>
              </>
            )}
          </li>
        ))}
      </ul>
      {deleting ? (
        <ConfirmDeleteDialog
          name={deleting.name}
          failureTitle="The saved reply could not be deleted."
          onConfirm={() => useSavedRepliesStore.getState().remove(deleting.id)}
          onClose={() => setDeleting(null)}
        >
          <p>The whole team loses this saved reply. Replies already sent with it stay as they are.</p>
        </ConfirmDeleteDialog>
      ) : null}
    </section>
  );
}

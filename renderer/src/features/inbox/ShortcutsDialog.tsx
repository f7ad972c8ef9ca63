import { useId } from 'react';
import { Modal } from '../../components/Modal';

/** Every key the inbox answers to, as `?` lists them. Keep in step with useInboxShortcuts. */
export const SHORTCUTS: readonly { keys: string[]; action: string }[] = [
  { keys: ['j'], action: 'Next conversation' },
  { keys: ['k'], action: 'Previous conversation' },
  { keys: ['Enter', 'o'], action: 'Open the focused conversation' },
  { keys: ['↑', '↓', 'Home', 'End'], action: 'Move in the list' },
  { keys: ['x', 'Space'], action: 'Select the focused conversation' },
  { keys: ['r'], action: 'Reply' },
  { keys: ['a'], action: 'Reply all' },
  { keys: ['n'], action: 'Add a note' },
  { keys: ['e'], action: 'Close (the selected ones, or the open one) and go to the next' },
  { keys: ['u'], action: 'Mark the open conversation unread' },
  { keys: ['#'], action: 'Delete (the selected ones, or the open one), after confirming' },
  { keys: ['!'], action: 'Mark as spam (in Spam: not spam)' },
  { keys: ['/'], action: 'Search' },
  { keys: ['Esc'], action: 'Clear the selection' },
  { keys: ['?'], action: 'Show these shortcuts' },
];

export function ShortcutsDialog({ onClose }: { onClose(): void }) {
  const titleId = useId();
  return (
    <Modal labelledBy={titleId} onClose={onClose} className="modal-small">
      <div className="modal-header">
        <h2 id={titleId} className="modal-title">
          Keyboard shortcuts
        </h2>
      </div>
      <div className="modal-body">
        <p className="muted">They work anywhere in the inbox except while you type in a field.</p>
        <table className="shortcuts">
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.action}>
                <td>
                  {s.keys.map((k, i) => (
                    <span key={k}>
                      {i > 0 ? ' ' : null}
                      <kbd>{k}</kbd>
                    </span>
                  ))}
                </td>
                <td>{s.action}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="modal-footer">
        <button type="button" className="btn btn-primary" onClick={onClose} autoFocus>
          Close
        </button>
      </div>
    </Modal>
  );
}

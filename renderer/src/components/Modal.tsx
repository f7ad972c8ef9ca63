import { useEffect, useRef, useState, type ReactNode } from 'react';

/**
 * A modal on the native <dialog> element: `showModal()` makes the rest of the page inert (focus
 * stays inside, screen readers see only the dialog) and Escape fires `cancel`. Focus goes back to
 * whatever opened the dialog when it unmounts, or to the main region if that element is gone.
 */
export interface ModalProps {
  /** id of the element that names the dialog (its heading). */
  labelledBy: string;
  describedBy?: string;
  role?: 'dialog' | 'alertdialog';
  className?: string;
  onClose(): void;
  children: ReactNode;
}

export function Modal({ labelledBy, describedBy, role = 'dialog', className, onClose, children }: ModalProps) {
  const ref = useRef<HTMLDialogElement>(null);
  // The element focused when the dialog opened, captured once on the first render.
  const [opener] = useState(() => (document.activeElement instanceof HTMLElement ? document.activeElement : null));
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  const mounted = useRef(false);
  const requestClose = () => {
    if (mounted.current) onCloseRef.current();
  };

  useEffect(() => {
    const dialog = ref.current;
    mounted.current = true;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      mounted.current = false;
      if (dialog?.open) dialog.close();
    };
  }, []);

  useEffect(
    () => () => {
      // After React has removed the dialog: give focus back.
      queueMicrotask(() => {
        if (opener?.isConnected) opener.focus();
        else document.getElementById('main')?.focus();
      });
    },
    [opener],
  );

  return (
    <dialog
      ref={ref}
      role={role === 'alertdialog' ? 'alertdialog' : undefined}
      aria-modal="true"
      aria-labelledby={labelledBy}
      aria-describedby={describedBy}
      className={['modal', className].filter(Boolean).join(' ')}
      onCancel={(event) => {
        // Escape: let React decide (it unmounts the dialog).
        event.preventDefault();
        requestClose();
      }}
      // Chrome may close a dialog itself on a repeated Escape; keep React in step.
      onClose={requestClose}
    >
      {children}
    </dialog>
  );
}

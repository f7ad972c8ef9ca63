import type { AppError } from '../../../shared/errors';

/** An error envelope from the main side, readable: what happened, what to do, and a way to dismiss it. */
export function ErrorAlert({ error, onDismiss, title }: { error: AppError; onDismiss?: () => void; title?: string }) {
  const fields = error.code === 'VALIDATION_FAILED' ? (error.fields ?? []) : [];
  return (
    <div role="alert" className="callout callout-danger">
      <div className="callout-body">
        {title ? <p className="callout-title">{title}</p> : null}
        <p>{error.message}</p>
        {error.hint ? <p className="callout-hint">{error.hint}</p> : null}
        {fields.length > 1 ? (
          <ul className="callout-list">
            {fields.map((field) => (
              <li key={field.path}>
                {field.path}: {field.message}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
      {onDismiss ? (
        <button type="button" className="btn btn-ghost btn-small" onClick={onDismiss}>
          Dismiss
        </button>
      ) : null}
    </div>
  );
}

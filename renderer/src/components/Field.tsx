import type { ReactNode } from 'react';

/**
 * A labelled form control with its hint and error next to it. The control gets its aria wiring from
 * `fieldAria`, so `getByLabel('Host')` finds it and a screen reader reads the error with it.
 */
export interface FieldProps {
  id: string;
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  /** Shown beside the label, outside it, so the accessible name stays exactly `label`. */
  aside?: ReactNode;
  className?: string;
  children: ReactNode;
}

export function hintId(id: string): string {
  return `${id}-hint`;
}

export function errorId(id: string): string {
  return `${id}-error`;
}

/** id, aria-invalid and aria-describedby for the control inside a Field. */
export function fieldAria(id: string, error: string | undefined, options: { hint?: boolean; extra?: string } = {}) {
  const describedBy = [error ? errorId(id) : null, options.hint ? hintId(id) : null, options.extra ?? null].filter(Boolean).join(' ');
  return {
    id,
    'aria-invalid': error ? (true as const) : undefined,
    'aria-describedby': describedBy || undefined,
  };
}

export function Field({ id, label, error, hint, aside, className, children }: FieldProps) {
  return (
    <div className={['field', error ? 'field-invalid' : null, className].filter(Boolean).join(' ')}>
      <div className="field-label-row">
        <label htmlFor={id} className="field-label">
          {label}
        </label>
        {aside ? <span className="field-aside">{aside}</span> : null}
      </div>
      {children}
      {error ? (
        <p id={errorId(id)} className="field-error">
          <span aria-hidden="true" className="field-error-icon">
            !
          </span>
          {error}
        </p>
      ) : null}
      {hint ? (
        <p id={hintId(id)} className="field-hint">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

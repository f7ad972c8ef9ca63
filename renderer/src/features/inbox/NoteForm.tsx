import { zodResolver } from '@hookform/resolvers/zod';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { contract } from '../../../../shared/contract';
import type { AppError } from '../../../../shared/errors';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field, fieldAria } from '../../components/Field';
import { useConversationStore } from './conversation-store';

const noteSchema = contract['conversations:add-note'].input.pick({ text: true });
type NoteValues = z.infer<typeof noteSchema>;

/** Internal notes stay in the app: they are never emailed to the customer. */
export function NoteForm() {
  const addNote = useConversationStore((s) => s.addNote);
  const [error, setError] = useState<AppError | null>(null);
  const { register, handleSubmit, reset, formState } = useForm<z.input<typeof noteSchema>, unknown, NoteValues>({
    resolver: zodResolver(noteSchema),
    defaultValues: { text: '' },
  });
  const textError = formState.errors.text?.message;

  async function submit(values: NoteValues) {
    setError(null);
    const failed = await addNote(values.text);
    if (failed) setError(failed);
    else reset({ text: '' });
  }

  return (
    <form className="note-form" noValidate onSubmit={handleSubmit(submit)}>
      <Field id="note-text" label="Note" error={textError} hint="Only your team sees notes; they are never emailed.">
        <textarea
          className="input textarea"
          rows={3}
          {...fieldAria('note-text', textError, { hint: true })}
          {...register('text')}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
              event.preventDefault();
              void handleSubmit(submit)();
            }
          }}
        />
      </Field>
      {error ? <ErrorAlert error={error} onDismiss={() => setError(null)} title="The note was not added." /> : null}
      <div className="note-form-actions">
        <button type="submit" className="btn btn-secondary" aria-disabled={formState.isSubmitting || undefined}>
          Add note
        </button>
      </div>
    </form>
  );
}

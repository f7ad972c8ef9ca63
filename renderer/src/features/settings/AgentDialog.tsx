import { zodResolver } from '@hookform/resolvers/zod';
import { useId, useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { agentSchema, type Agent } from '../../../../shared/conversation';
import type { AppError } from '../../../../shared/errors';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field, fieldAria } from '../../components/Field';
import { Modal } from '../../components/Modal';
import { useSettingsStore } from './store';

const agentFormSchema = agentSchema.omit({ id: true });
type AgentForm = z.infer<typeof agentFormSchema>;

/** Add agent / Edit agent, validated with the same schema the main side uses. */
export function AgentDialog({ agent, onClose }: { agent: Agent | null; onClose(): void }) {
  const titleId = useId();
  const saveAgent = useSettingsStore((s) => s.saveAgent);
  const [error, setError] = useState<AppError | null>(null);
  const {
    register,
    handleSubmit,
    formState,
    setError: setFieldError,
  } = useForm<z.input<typeof agentFormSchema>, unknown, AgentForm>({
    resolver: zodResolver(agentFormSchema),
    defaultValues: { name: agent?.name ?? '', email: agent?.email ?? '' },
    mode: 'onTouched',
  });
  const nameError = formState.errors.name?.message;
  const emailError = formState.errors.email?.message;

  async function save(values: AgentForm) {
    setError(null);
    const failure = await saveAgent(agent ? { ...values, id: agent.id } : values);
    if (!failure) {
      onClose();
      return;
    }
    const fields = failure.code === 'VALIDATION_FAILED' ? (failure.fields ?? []) : [];
    const shown = fields.filter((f) => f.path === 'name' || f.path === 'email');
    for (const field of shown) setFieldError(field.path as 'name' | 'email', { type: 'server', message: field.message });
    if (shown.length === 0 || shown.length < fields.length) setError(failure);
  }

  return (
    <Modal labelledBy={titleId} onClose={onClose}>
      <form className="modal-form" noValidate onSubmit={handleSubmit(save)}>
        <div className="modal-header">
          <h2 id={titleId} className="modal-title">
            {agent ? 'Edit agent' : 'Add agent'}
          </h2>
          <button type="button" className="icon-btn" onClick={onClose}>
            <span aria-hidden="true">✕</span>
            <span className="sr-only">Close</span>
          </button>
        </div>
        <div className="modal-body">
          <Field id="agent-name" label="Name" error={nameError}>
            <input className="input" type="text" autoComplete="off" autoFocus {...fieldAria('agent-name', nameError)} {...register('name')} />
          </Field>
          <Field id="agent-email" label="Email" error={emailError} hint="Where this agent gets mail; shown to teammates.">
            <input
              className="input"
              type="email"
              autoComplete="off"
              spellCheck={false}
              {...fieldAria('agent-email', emailError, { hint: true })}
              {...register('email')}
            />
          </Field>
          {error ? <ErrorAlert error={error} title="The agent was not saved." onDismiss={() => setError(null)} /> : null}
        </div>
        <div className="modal-footer">
          <div className="modal-footer-end">
            <button type="button" className="btn btn-ghost" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" aria-disabled={formState.isSubmitting || undefined}>
              {agent ? 'Save' : 'Add agent'}
            </button>
          </div>
        </div>
      </form>
    </Modal>
  );
}

import type { Agent } from '../../../../shared/conversation';
import { ConfirmDeleteDialog } from '../../components/ConfirmDeleteDialog';
import { useSettingsStore } from './store';

export function DeleteAgentDialog({ agent, onClose }: { agent: Agent; onClose(): void }) {
  const deleteAgent = useSettingsStore((s) => s.deleteAgent);
  return (
    <ConfirmDeleteDialog name={agent.name} failureTitle="The agent could not be deleted." onConfirm={() => deleteAgent(agent.id)} onClose={onClose}>
      <p>Conversations assigned to {agent.name} go back to the unassigned queue. Their messages and notes stay.</p>
    </ConfirmDeleteDialog>
  );
}

import { Fragment } from 'react';
import type { Address } from '../../../../shared/conversation';
import { formatAddress } from './format';

/**
 * "Name <local@domain.example>" as one unit that wraps between words, and inside a long mail
 * address only after its "@" and dots (the points people expect), never in the middle of a word.
 */
export function AddressText({ address }: { address: Address }) {
  const parts = formatAddress(address).split(/(?<=[@.])/);
  return (
    <span className="address">
      {parts.map((part, i) => (
        <Fragment key={i}>
          {i > 0 ? <wbr /> : null}
          {part}
        </Fragment>
      ))}
    </span>
  );
}

import { boundedContexts } from './contexts.ts';
import { addOrderItem, cancelOrder, deliverOrder, placeOrder, shipOrder } from './orders/order.samples.ts';
import {
  createTenant,
  forgetSubject,
  offboardTenant,
  reactivateTenant,
  renameTenant,
  setTenantQuota,
  suspendTenant,
} from './tenants/tenant.samples.ts';

/**
 * One payload per command type, for the API's documentation: the samples the
 * deciders' specs run, so an example can never be one the rules refuse.
 */
export const commandExamples: Readonly<Record<string, object>> = Object.fromEntries(
  [
    placeOrder,
    addOrderItem,
    shipOrder,
    deliverOrder,
    cancelOrder,
    createTenant,
    renameTenant,
    suspendTenant,
    reactivateTenant,
    setTenantQuota,
    forgetSubject,
    offboardTenant,
  ].map((command) => [command.type, command.payload]),
);

const missing = boundedContexts
  .flatMap((decider) => Object.keys(decider.commands))
  .filter((type) => !(type in commandExamples));
if (missing.length > 0) throw new Error(`no example for the command types ${missing.join(', ')}`);

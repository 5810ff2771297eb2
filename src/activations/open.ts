import { resolveCredential, type SecretContext } from '../destinations/credentials.js';
import type { ConnectionOf } from '../destinations/open.js';
import { OutflowError } from '../diagnostics/index.js';
import type { ResourceNode } from '../model/index.js';
import { WebhookClient } from './client.js';

/** Where a sender logs with --debug (credentials and signatures already redacted). */
export interface WebhookContext extends SecretContext {
  debug?: ((line: string) => void) | undefined;
}

/** `30s` → 30000. */
function seconds(value: string): number {
  return Number(value.replace(/s$/, '')) * 1000;
}

/** The client of a webhook Connection: its credentials resolved from the environment or files. */
export async function openWebhook(
  connection: ResourceNode<'Connection'>,
  context: WebhookContext,
): Promise<WebhookClient> {
  const c = connection.config;
  if (c.type !== 'webhook')
    throw new OutflowError(
      'wrong-destination-type',
      `connection "${connection.name}" is a ${c.type} connection; activations push to a webhook`,
      { hint: 'use a Connection with type: webhook' },
    );
  const w = c as ConnectionOf<'webhook'>;
  const clientId = await resolveCredential(connection.name, 'clientId', w.clientId, context);
  const clientSecret = await resolveCredential(connection.name, 'clientSecret', w.clientSecret, context);
  return new WebhookClient({
    connection: connection.name,
    url: w.baseUrl,
    clientId: clientId ?? '',
    clientSecret: clientSecret ?? '',
    auth:
      w.auth?.type === 'oauth2'
        ? { type: 'oauth2', tokenUrl: w.auth.tokenUrl, scope: w.auth.scope }
        : { type: 'basic' },
    timeoutMs: seconds(w.timeout),
    retryForMs: seconds(w.retryFor),
    debug: context.debug,
  });
}

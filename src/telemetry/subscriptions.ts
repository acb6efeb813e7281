// Subscribes a set of handlers to the proxy's event channels at once, and undoes it at once.
import diagnostics_channel from 'node:diagnostics_channel';
import { channels } from '../events.js';

export type ChannelName = keyof typeof channels;
export type Handlers = Partial<Record<ChannelName, (message: unknown) => void>>;

/** Returns the function that unsubscribes every handler it subscribed. */
export function subscribeChannels(handlers: Handlers): () => void {
  const done: Array<() => void> = [];
  for (const [key, handler] of Object.entries(handlers) as Array<[ChannelName, ((message: unknown) => void) | undefined]>) {
    if (handler === undefined) continue;
    const name = channels[key].name as string;
    const guarded = guard(name, handler);
    diagnostics_channel.subscribe(name, guarded);
    done.push(() => diagnostics_channel.unsubscribe(name, guarded));
  }
  return () => {
    for (const undo of done.splice(0)) undo();
  };
}

/**
 * diagnostics_channel turns a subscriber's exception into an uncaught exception, which would take
 * the sidecar down over a telemetry bug; report it once per channel instead and carry on routing.
 */
function guard(name: string, handler: (message: unknown) => void): (message: unknown) => void {
  let warned = false;
  return (message) => {
    try {
      handler(message);
    } catch (err) {
      if (warned) return;
      warned = true;
      process.emitWarning(`colormesh telemetry: a subscriber of ${name} failed: ${(err as Error).message}`, 'TelemetryWarning');
    }
  };
}

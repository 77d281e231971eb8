import type { Clock, Engine } from '../../core/engine';

/** What every route needs, handed down from createApp (nothing below reads the environment). */
export interface RouteDeps {
  engine: Engine;
  /** Epoch ms: the time a request arrived, for `delaySeconds` and the `deliverAt` bound. */
  clock: Clock;
}

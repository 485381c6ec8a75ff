import type { Principal } from '../auth/principal.js';

/** Who a model call is made for: limits, usage and tenancy follow the principal. */
export interface CallerInfo {
  principal: Principal;
  requestId: string;
}

import { Flow } from '../../platform/flows/flow.ts';
import type { ActivationState } from '../schema.ts';

/**
 * The teacher (or an administrator) asks for the Google account, or an administrator retries one
 * that failed or met someone else's user; the provisioning job creates or adopts it, finds someone
 * else's user at the address, or gives up.
 */
export type ActivationEvent = 'request' | 'retry' | 'activate' | 'conflict' | 'fail';

/**
 * The activation of a teacher's Google Workspace account (啟用 G Suite for Education), kept in the
 * `state` column of the teacher's `workspace_accounts` row:
 *
 * ```
 * none ─request─► queued ─activate─► active
 *                   │                  │
 *                   ├─conflict─────────┼──► conflict ─request | retry─► queued   (an administrator looks first)
 *                   └─fail─────────────┴──► failed ───request | retry─► queued
 * ```
 *
 * `activate` also leads a failed account to active (its failed job retried from the console);
 * the lifecycle sync of an active account may find another user at the address (`conflict`) or
 * give up (`fail`). A request while queued or active is no transition: the button does nothing
 * more, however often it is pressed. `retry` is an administrator's request (`edugate workspace
 * retry`), refused, with the state, from anything but failed or conflict.
 */
export const ACTIVATION = new Flow<ActivationState, ActivationEvent>('workspace activation', [
  ['none', 'request', 'queued'],
  ['failed', 'request', 'queued'],
  ['conflict', 'request', 'queued'],
  ['failed', 'retry', 'queued'],
  ['conflict', 'retry', 'queued'],
  ['queued', 'activate', 'active'],
  ['failed', 'activate', 'active'],
  ['queued', 'conflict', 'conflict'],
  ['failed', 'conflict', 'conflict'],
  ['active', 'conflict', 'conflict'],
  ['queued', 'fail', 'failed'],
  ['failed', 'fail', 'failed'],
  ['active', 'fail', 'failed'],
]);

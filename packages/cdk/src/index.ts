/**
 * @postbox/cdk: Postbox in your own CDK app. The constructs are the ones this repository deploys
 * (infra/constructs); the package build ships the api and dispatcher functions prebuilt.
 *
 * @example
 * const postbox = new Postbox(this, 'Queue', { removalPolicy: RemovalPolicy.DESTROY });
 * postbox.addConsumer({ queue: 'orders', handler: ordersFunction, batchSize: 5 });
 * postbox.grantPublish(checkoutFunction, 'orders');
 */
export { PostboxAlarms, type PostboxAlarmsProps } from '../../../infra/constructs/alarms';
export { PostboxApi, type PostboxApiProps } from '../../../infra/constructs/api';
export type { PostboxConsumerProps } from '../../../infra/constructs/consumer';
export { PostboxDispatcher, type PostboxDispatcherProps } from '../../../infra/constructs/dispatcher';
export { Postbox, type PostboxProps } from '../../../infra/constructs/postbox';
export { ENGINE_ACTIONS, PostboxTable, type PostboxTableProps } from '../../../infra/constructs/table';

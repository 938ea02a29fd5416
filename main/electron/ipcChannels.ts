/** IPC channel names shared by the main process and the preload (and nothing else). */
export const IPC_RPC = 'simila:rpc';
export const IPC_EVENT = 'simila:event';

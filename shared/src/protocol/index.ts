/** The DreamLayer protocol: JSON message schemas and the binary frame header. Browser-safe. */
export * from './messages.ts';
export * from './binary-frame.ts';

// Free loopback ports: the server's helper, for the processes the testkit starts.
export { freePort } from '@tandem/server';

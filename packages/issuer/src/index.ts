// @tandem/issuer: signing and verifying licence files. tandemd verifies with it; the vendor's
// tandem-issuer binary (main.ts) signs with it.
export * from './licence-file.js';
export { ExitCode as IssuerExitCode, type IssuerIo, run as runIssuer } from './run.js';

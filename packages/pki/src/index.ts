// @tandem/pki: the cluster CA, the certificates it issues, and the identity a certificate names
// (`tandem://<role>/<name>`). See README.md.

export * from './certificate-files.js';
export * from './check.js';
export * from './errors.js';
export * from './files.js';
export * from './identity.js';
export * from './issue.js';
export * from './pki-directory.js';
export { type CertificateInput, certificateDer } from './read.js';

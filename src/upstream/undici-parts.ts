// The two pieces of undici the HTTP/1.1 upstream uses, loaded on their own: `import 'undici'`
// also loads fetch, WebSocket, the cache and mock layers — about 8 MB more RSS per sidecar that a
// proxy never uses. The types are the package's own, so a change of these paths fails loudly.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const Agent: typeof import('undici').Agent = require('undici/lib/dispatcher/agent.js');
export const buildConnector: typeof import('undici').buildConnector = require('undici/lib/core/connect.js');

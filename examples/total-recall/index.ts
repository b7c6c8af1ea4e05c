export { createTotalRecallServer, SERVER_NAME } from './server.js';
export { startTotalRecallHttp, startTotalRecallStdio, type RunningExampleServer } from './http.js';
export { TotalRecallStore } from './store.js';

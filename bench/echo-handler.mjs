// A Lambda handler that returns its event: the overhead benchmark times the
// local runtime's IPC round trip (testbed/lambda-runtime.ts) with it.
export const handler = async (event) => event;

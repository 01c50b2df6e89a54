import { createServer, type Socket } from 'node:net';
import { schemaRegistry } from './registry-connection.ts';

test('given a registry that accepts and never answers, when a schema is fetched, then the call fails at its deadline', async () => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as { port: number };
  try {
    const started = Date.now();
    // The client's own deadline (mappersmith's timeout), not a refused connection or any other failure.
    await expect(schemaRegistry({ url: `http://127.0.0.1:${port}` }, 300).getSchema(1)).rejects.toMatchObject(
      {
        name: 'ResponseError',
        message: expect.stringContaining('Timeout (300ms)'),
      },
    );
    // One retry of the client's own: two deadlines and its pause, far below a hung call.
    expect(Date.now() - started).toBeLessThan(5_000);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

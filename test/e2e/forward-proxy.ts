import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'

/** A forward proxy on loopback, as a corporate proxy would be, recording what it carried. */
export interface ForwardProxy {
  url: string
  /** `CONNECT host:port` for tunnels (https), `METHOD absolute-url` for plain http. */
  carried: string[]
  /** Proxy-Authorization headers received. */
  authorizations: string[]
  close(): Promise<void>
}

/** How the proxy routes. */
export interface ForwardProxyOptions {
  /**
   * Where CONNECT tunnels go, by the `host:port` asked for (e.g. `login.microsoftonline.us:443`
   * to `127.0.0.1:PORT`): a test can then serve the real names of Microsoft's hosts. With
   * this set, a tunnel to any other host is refused (403), so nothing leaves the machine.
   */
  tunnels?: Readonly<Record<string, string>>
}

/** Starts an HTTP proxy that tunnels CONNECT and forwards absolute-form requests. */
export async function startForwardProxy(options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const carried: string[] = []
  const authorizations: string[] = []
  const sockets = new Set<Socket>()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    carried.push(`${req.method} ${req.url}`)
    if (req.headers['proxy-authorization']) authorizations.push(String(req.headers['proxy-authorization']))
    const target = new URL(req.url ?? '')
    const headers = { ...req.headers }
    delete headers['proxy-authorization']
    delete headers['proxy-connection']
    const upstream = request(target, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    upstream.on('error', () => res.writeHead(502).end())
    req.pipe(upstream)
  })
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    carried.push(`CONNECT ${req.url}`)
    if (req.headers['proxy-authorization']) authorizations.push(String(req.headers['proxy-authorization']))
    const target = options.tunnels ? options.tunnels[req.url ?? ''] : req.url
    if (target === undefined) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n')
      return
    }
    const [host, port] = target.split(':')
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    carried,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}

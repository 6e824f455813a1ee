/** One socket the local mesh (or an app it runs) listens on. */
export interface Listener {
  name: string;
  host: string;
  port: number;
}

export function listenerOf(name: string, url: string): Listener {
  const { hostname, port } = new URL(url);
  return { name, host: hostname, port: Number(port) };
}

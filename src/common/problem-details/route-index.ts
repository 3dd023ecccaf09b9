/**
 * Every registered route as (method, path pattern), so a route miss can tell
 * "no such path" (404) from "path exists, wrong method" (405 with Allow).
 */
export class RouteIndex {
  private readonly routes: { method: string; re: RegExp }[] = [];

  add(methods: string | string[], url: string): void {
    const pattern = url
      .split('/')
      .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    for (const method of Array.isArray(methods) ? methods : [methods]) {
      this.routes.push({ method: method.toUpperCase(), re: new RegExp(`^${pattern}/?$`) });
    }
  }

  methodsFor(path: string): string[] {
    const found = new Set<string>();
    for (const r of this.routes) if (r.re.test(path)) found.add(r.method);
    return [...found].filter((m) => m !== 'HEAD').sort();
  }
}

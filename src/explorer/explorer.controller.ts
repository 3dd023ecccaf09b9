import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '#src/auth/auth.decorators.js';
import { EXPLORER_CSP, EXPLORER_PAGES, readExplorerHtml } from './explorer.assets.js';

/**
 * SPEC §13: the explorer's HTML at `/`, `/ui/` and each client route, so a copied link (e.g.
 * `/explore?q=…`) opens the same view. The page is public; every API call it makes carries the
 * key the user typed. Hashed assets are served by @fastify/static under /ui/assets/ (app.setup.ts).
 */
@ApiExcludeController()
@Public()
@Controller()
export class ExplorerController {
  private readonly html = readExplorerHtml();

  @Get(EXPLORER_PAGES)
  @Header('content-type', 'text/html; charset=utf-8')
  // The shell names the current hashed assets, so it must be revalidated on every load.
  @Header('cache-control', 'no-cache')
  @Header('content-security-policy', EXPLORER_CSP)
  @Header('x-content-type-options', 'nosniff')
  @Header('referrer-policy', 'no-referrer')
  // The query string is the page's own view state (?q=, ?app=, ?window=…), read by the client-side
  // router, not API input: taking it whole exempts the shell from the unknown-parameter 400
  // (StrictInputInterceptor), so a copied link always opens.
  page(@Query() _view: Record<string, unknown>): string {
    return this.html;
  }
}

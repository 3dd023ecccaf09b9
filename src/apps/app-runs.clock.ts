import { Injectable } from '@nestjs/common';

/**
 * Where the app-run history reads "now" (windows are relative to it). Production uses the wall
 * clock; tests pin it (`app.get(AppRunsClock).now = () => fixed`) so hour boundaries and window
 * edges are exact instead of racing the real time.
 */
@Injectable()
export class AppRunsClock {
  now(): Date {
    return new Date();
  }
}

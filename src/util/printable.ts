/**
 * What every printable result of heapy's API shares: a REPL shows its text (`[inspect.custom]`),
 * `String(x)` gives the same text, and `JSON.stringify(x)` gives its plain data.
 */
import { inspect } from 'node:util';

/** A result with a text form for people and a data form for programs. */
export abstract class Printable<T> {
  /** The result as plain data (what `JSON.stringify` writes). */
  abstract toJSON(): T;
  /** The text a terminal shows. */
  abstract toString(): string;
  /** REPL display: the same text as toString(). */
  [inspect.custom](): string {
    return this.toString();
  }
}

/** A printable result made of its data and the renderer that turns that data into text. */
export class Rendered<T> extends Printable<T> {
  readonly #render: (data: T) => string;
  /** The result as plain data. */
  readonly data: T;
  constructor(data: T, render: (data: T) => string) {
    super();
    this.data = data;
    this.#render = render;
  }
  override toJSON(): T {
    return this.data;
  }
  override toString(): string {
    return this.#render(this.data);
  }
}

/** Text shown verbatim in a REPL (no quotes, no escapes): a table, a report, a message. */
export class Text extends Printable<string> {
  /** The text. */
  readonly text: string;
  constructor(text: string) {
    super();
    this.text = text;
  }
  override toJSON(): string {
    return this.text;
  }
  override toString(): string {
    return this.text;
  }
}

/**
 * A literal transcription of the WHATWG HTML "interpret an event stream" algorithm
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation),
 * used as an oracle for the encoder. It works on an already-decoded string: the whole stream.
 */

/** A `MessageEvent` as the spec's "dispatch the event" step would create it. */
export interface DispatchedEvent {
  type: string;
  data: string;
  lastEventId: string;
}

/** Everything a user agent observes from a stream. */
export interface ParsedStream {
  events: DispatchedEvent[];
  /** The reconnection time after the last `retry:` field that was accepted, if any. */
  retry: number | undefined;
  /** Comment lines (text after the `:`, one leading space removed), for tests only: UAs ignore them. */
  comments: string[];
  /** The last event ID string at the end of the stream. */
  lastEventId: string;
  /** True when the stream ended with fields that were never dispatched (no closing blank line). */
  pending: boolean;
}

export function parseEventStream(input: string): ParsedStream {
  // "The stream must then be parsed by reading everything line by line [...]": one leading BOM is skipped.
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;

  let dataBuffer = '';
  let eventTypeBuffer = '';
  let lastEventIdBuffer = '';
  let lastEventIdString = '';
  let retry: number | undefined;
  const events: DispatchedEvent[] = [];
  const comments: string[] = [];
  let pending = false;

  const dispatch = (): void => {
    // 1. Set the last event ID string of the event source to the value of the last event ID buffer.
    lastEventIdString = lastEventIdBuffer;
    // 2. If the data buffer is an empty string, reset data and event type buffers and return.
    if (dataBuffer === '') {
      eventTypeBuffer = '';
      return;
    }
    // 3. If the data buffer's last character is a LF, remove it.
    if (dataBuffer.endsWith('\n')) dataBuffer = dataBuffer.slice(0, -1);
    // 4–5. Create the event: type is the event type buffer, or "message" when it is empty.
    events.push({ type: eventTypeBuffer === '' ? 'message' : eventTypeBuffer, data: dataBuffer, lastEventId: lastEventIdString });
    // 6. Reset the data buffer and the event type buffer.
    dataBuffer = '';
    eventTypeBuffer = '';
  };

  const processField = (field: string, value: string): void => {
    switch (field) {
      case 'event':
        eventTypeBuffer = value;
        break;
      case 'data':
        dataBuffer += value + '\n';
        break;
      case 'id':
        if (!value.includes('\0')) lastEventIdBuffer = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) retry = Number.parseInt(value, 10);
        break;
      default:
        break; // ignored
    }
  };

  // Lines end in CRLF, a lone LF or a lone CR. A final line without terminator is incomplete.
  let pos = 0;
  while (pos < text.length) {
    let end = pos;
    while (end < text.length && text[end] !== '\r' && text[end] !== '\n') end++;
    if (end === text.length) {
      pending = true; // incomplete line at end of stream: never processed
      break;
    }
    const line = text.slice(pos, end);
    pos = text[end] === '\r' && text[end + 1] === '\n' ? end + 2 : end + 1;

    if (line === '') {
      dispatch();
      pending = false;
      continue;
    }
    pending = true;
    if (line.startsWith(':')) {
      const comment = line.slice(1);
      comments.push(comment.startsWith(' ') ? comment.slice(1) : comment);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon !== -1) {
      const value = line.slice(colon + 1);
      processField(line.slice(0, colon), value.startsWith(' ') ? value.slice(1) : value);
    } else {
      processField(line, '');
    }
  }
  // "Once the end of the file is reached, any pending data must be discarded."
  return { events, retry, comments, lastEventId: lastEventIdString, pending };
}

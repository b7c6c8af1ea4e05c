// htm bound to Preact: templates are tagged strings, so there is no JSX and no build step.
// Every ${value} in a template becomes text or an attribute, never markup: hostile agent
// and tool names cannot inject HTML. (Never use dangerouslySetInnerHTML in this console.)
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { TotalRecallStore } from './store.js';

/**
 * A Total-Recall-like MCP server: ten of the real server's tools (names, descriptions and
 * risk classes as the real server declares them) over an in-memory store.
 * The annotations say what each tool does to the world, which is what Warden's risk
 * classification reads.
 */
export const SERVER_NAME = 'total-recall-example';

const text = (value: unknown): CallToolResult => ({
  content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value) }],
});
const failure = (message: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text: message }] });

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
const WRITE = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false } as const;

export function createTotalRecallServer(store: TotalRecallStore = new TotalRecallStore()): McpServer {
  const server = new McpServer({ name: SERVER_NAME, version: '0.1.0' });
  registerSessionTools(server, store);
  registerKnowledgeTools(server, store);
  registerOperationsTools(server, store);
  return server;
}

function registerSessionTools(server: McpServer, store: TotalRecallStore): void {
  server.registerTool('session_start', {
    title: 'Start session',
    description: 'Start a new Total Recall session. Call this at the beginning of every conversation. Returns session_id and pre-loaded corrections.',
    inputSchema: { project: z.string().optional() },
    annotations: { ...WRITE, title: 'Start session' },
  }, ({ project }) => {
    const session = store.startSession(project);
    const corrections = store.activeKnowledge(project).filter((e) => e.kind === 'correction').map((e) => e.text);
    return text({ session_id: session.id, corrections });
  });

  server.registerTool('session_close', {
    title: 'Close session',
    description: 'Close the current session. Call this at the end of every conversation. Triggers final state save, audit, and quality scoring.',
    inputSchema: { session_id: z.string(), summary: z.string().optional(), reason: z.string().optional() },
    annotations: { ...WRITE, title: 'Close session' },
  }, ({ session_id, summary }) => {
    const session = store.sessions.get(session_id);
    if (!session) return failure(`unknown session ${session_id}`);
    if (session.closedAt) return failure(`session ${session_id} was already closed at ${session.closedAt}`);
    session.closedAt = new Date().toISOString();
    session.summary = summary;
    return text({ session_id, closed: true, quality_score: summary ? 0.9 : 0.5 });
  });
}

function registerKnowledgeTools(server: McpServer, store: TotalRecallStore): void {
  server.registerTool('load_context', {
    title: 'Load context',
    description: 'Load relevant knowledge entries based on a message and project context. Uses smart loading with relevance scoring, trigger matching, and context budget management.',
    inputSchema: { message: z.string(), project: z.string().optional(), budget: z.number().int().positive().optional() },
    annotations: { ...READ, title: 'Load context' },
  }, ({ message, project, budget }) => {
    const words = message.toLowerCase().split(/\W+/).filter(Boolean);
    const scored = store.activeKnowledge(project)
      .map((e) => ({ ...e, score: words.filter((w) => e.text.toLowerCase().includes(w)).length + (e.kind === 'correction' ? 1 : 0) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, budget ?? 10);
    return text({ entries: scored.map(({ id, kind, text: t, score }) => ({ id, kind, text: t, score })) });
  });

  server.registerTool('correct', {
    title: 'Record correction',
    description: 'Record a correction, the highest-priority knowledge type. Creates a new correction entry that supersedes an existing knowledge entry. The original is deactivated.',
    inputSchema: { entry_id: z.string(), correction: z.string() },
    annotations: { ...WRITE, title: 'Record correction' },
  }, ({ entry_id, correction }) => {
    const original = store.knowledge.get(entry_id);
    if (!original || !original.active) return failure(`no active entry ${entry_id}`);
    original.active = false;
    const entry = store.addKnowledge('correction', correction, original.project, entry_id);
    return text({ id: entry.id, supersedes: entry_id });
  });

  server.registerTool('forget', {
    title: 'Forget entry',
    description: 'Archive a knowledge entry (soft-delete). The entry is preserved but no longer auto-loaded.',
    inputSchema: { entry_id: z.string() },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false, title: 'Forget entry' },
  }, ({ entry_id }) => {
    const entry = store.knowledge.get(entry_id);
    if (!entry) return failure(`no entry ${entry_id}`);
    entry.active = false;
    return text({ id: entry_id, archived: true });
  });

  server.registerTool('approve_suggestion', {
    title: 'Approve suggestion',
    description: 'Approve a pending behavioral suggestion, promoting it to permanent knowledge.',
    inputSchema: { suggestion_id: z.string() },
    annotations: { ...WRITE, title: 'Approve suggestion' },
  }, ({ suggestion_id }) => {
    const suggestion = store.suggestions.get(suggestion_id);
    if (!suggestion || suggestion.status !== 'pending') return failure(`no pending suggestion ${suggestion_id}`);
    suggestion.status = 'approved';
    const entry = store.addKnowledge('fact', suggestion.text, undefined);
    return text({ suggestion_id, knowledge_id: entry.id });
  });
}

function registerOperationsTools(server: McpServer, store: TotalRecallStore): void {
  server.registerTool('export_knowledge', {
    title: 'Export knowledge',
    description: 'Export all active knowledge and sessions to a JSON file for git backup or transfer.',
    inputSchema: { path: z.string().optional() },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false, title: 'Export knowledge' },
  }, ({ path }) => text({
    path: path ?? 'total-recall-export.json',
    knowledge: store.activeKnowledge(),
    sessions: [...store.sessions.values()],
  }));

  server.registerTool('task_list', {
    title: 'List tasks',
    description: 'List multi-session tasks, optionally filtered by project or status.',
    inputSchema: { project: z.string().optional(), status: z.enum(['open', 'done']).optional() },
    annotations: { ...READ, title: 'List tasks' },
  }, ({ project, status }) => text({
    tasks: [...store.tasks.values()].filter((t) => (!project || t.project === project) && (!status || t.status === status)),
  }));

  server.registerTool('doctor', {
    title: 'Doctor',
    description: 'Run diagnostic checks and repair common issues. Checks database integrity, orphaned session files, checksum mismatches, and WAL size.',
    inputSchema: { repair: z.boolean().optional() },
    annotations: { ...WRITE, title: 'Doctor' },
  }, ({ repair }) => {
    const orphaned = [...store.sessions.values()].filter((s) => !s.closedAt).map((s) => s.id);
    if (repair) for (const id of orphaned) store.sessions.delete(id);
    return text({ integrity: 'ok', orphaned_sessions: orphaned, repaired: repair === true ? orphaned.length : 0 });
  });

  // Listed as "read" in public catalogues, but it pushes data to a remote store: open world, not read-only.
  server.registerTool('sync', {
    title: 'Sync',
    description: 'Sync knowledge between local SQLite and a cloud store. Push local changes, pull remote changes, or both.',
    inputSchema: { direction: z.enum(['push', 'pull', 'both']).optional() },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true, title: 'Sync' },
  }, ({ direction }) => {
    store.syncedAt = new Date().toISOString();
    return text({ direction: direction ?? 'both', pushed: store.activeKnowledge().length, pulled: 0, at: store.syncedAt });
  });
}

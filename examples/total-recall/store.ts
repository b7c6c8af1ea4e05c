import { randomUUID } from 'node:crypto';

/**
 * The in-memory state behind the example server, so tool results mean something
 * (a closed session stays closed, a forgotten entry stops loading) without touching disk.
 */
export interface KnowledgeEntry {
  id: string;
  kind: 'fact' | 'correction';
  text: string;
  project: string | undefined;
  active: boolean;
  supersedes: string | undefined;
}

export interface SessionRecord {
  id: string;
  project: string | undefined;
  startedAt: string;
  closedAt: string | undefined;
  summary: string | undefined;
}

export interface Suggestion {
  id: string;
  text: string;
  status: 'pending' | 'approved';
}

export interface TaskRecord {
  id: string;
  title: string;
  project: string;
  status: 'open' | 'done';
}

export class TotalRecallStore {
  readonly knowledge = new Map<string, KnowledgeEntry>();
  readonly sessions = new Map<string, SessionRecord>();
  readonly suggestions = new Map<string, Suggestion>();
  readonly tasks = new Map<string, TaskRecord>();
  syncedAt: string | undefined;

  constructor(seed = true) {
    if (!seed) return;
    this.addKnowledge('fact', 'The build runs with `npm test`; CI uses Node 20.', 'warden');
    this.addKnowledge('fact', 'Prefer small files and named exports.', 'warden');
    this.addKnowledge('correction', 'Dates in reports are UTC, not local time.', undefined);
    this.suggestions.set('sug-1', { id: 'sug-1', text: 'Run the linter before every commit.', status: 'pending' });
    this.tasks.set('task-1', { id: 'task-1', title: 'Ship the proxy', project: 'warden', status: 'open' });
    this.tasks.set('task-2', { id: 'task-2', title: 'Write the demo', project: 'warden', status: 'done' });
  }

  addKnowledge(kind: KnowledgeEntry['kind'], text: string, project: string | undefined, supersedes?: string): KnowledgeEntry {
    const entry: KnowledgeEntry = { id: `k-${randomUUID().slice(0, 8)}`, kind, text, project, active: true, supersedes };
    this.knowledge.set(entry.id, entry);
    return entry;
  }

  activeKnowledge(project?: string): KnowledgeEntry[] {
    return [...this.knowledge.values()].filter((e) => e.active && (project === undefined || e.project === undefined || e.project === project));
  }

  startSession(project: string | undefined): SessionRecord {
    const session: SessionRecord = { id: `s-${randomUUID()}`, project, startedAt: new Date().toISOString(), closedAt: undefined, summary: undefined };
    this.sessions.set(session.id, session);
    return session;
  }
}

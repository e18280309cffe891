import { keepPreviousData } from "@tanstack/react-query";
import { useId, useMemo, useState } from "react";
import { ErrorMessage } from "../../components/ErrorMessage";
import { useNow } from "../../components/hooks";
import { Skeleton } from "../../components/Skeleton";
import { localTimeZone } from "../../components/time";
import { trpc } from "../../trpc";
import { useWorkspace } from "../shell/workspace";
import { FollowUpDialog } from "./FollowUpDialog";
import { TaskList } from "./TaskList";
import "./tasks.css";

const VIEWS = [
  { value: "overdue", label: "Overdue" },
  { value: "today", label: "Today" },
  { value: "upcoming", label: "Upcoming" },
  { value: "done", label: "Completed" },
] as const;
type View = (typeof VIEWS)[number]["value"];
type Assignee = "me" | "all";

const EMPTY: Record<View, string> = {
  overdue: "Nothing overdue.",
  today: "Nothing due today.",
  upcoming: "Nothing coming up.",
  done: "No completed follow-ups yet.",
};

/** /w/:ws/tasks: my follow-ups or everyone's, overdue, due today, upcoming or completed. */
export default function TasksPage() {
  const workspace = useWorkspace();
  const id = useId();
  const now = useNow(60_000);
  const [assignee, setAssignee] = useState<Assignee>("me");
  const [view, setView] = useState<View>("overdue");
  const [creating, setCreating] = useState(false);
  const members = trpc.workspaces.members.useQuery({ workspaceId: workspace.id }, { staleTime: 60_000 });
  const names = useMemo(
    () => new Map((members.data ?? []).map((member) => [member.userId, member.name])),
    [members.data],
  );
  const list = trpc.tasks.list.useInfiniteQuery(
    { workspaceId: workspace.id, assignee, view, timeZone: localTimeZone(), limit: 50 },
    {
      getNextPageParam: (page) => page.nextCursor ?? undefined,
      placeholderData: keepPreviousData,
      refetchOnWindowFocus: true,
    },
  );
  const tasks = list.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <div className="stack-lg">
      <div className="page-head">
        <h1>Follow-ups</h1>
        <button type="button" onClick={() => setCreating(true)}>
          New follow-up
        </button>
      </div>
      <div className="tk-filters">
        <fieldset className="tk-segmented">
          <legend className="visually-hidden">Whose follow-ups</legend>
          {(
            [
              ["me", "Mine"],
              ["all", "Everyone's"],
            ] as const
          ).map(([value, label]) => (
            <label key={value} className={assignee === value ? "tk-on" : undefined}>
              <input
                type="radio"
                name={`${id}-assignee`}
                value={value}
                checked={assignee === value}
                onChange={() => setAssignee(value)}
              />
              {label}
            </label>
          ))}
        </fieldset>
        <fieldset className="tk-segmented">
          <legend className="visually-hidden">When</legend>
          {VIEWS.map((option) => (
            <label key={option.value} className={view === option.value ? "tk-on" : undefined}>
              <input
                type="radio"
                name={`${id}-view`}
                value={option.value}
                checked={view === option.value}
                onChange={() => setView(option.value)}
              />
              {option.label}
            </label>
          ))}
        </fieldset>
      </div>
      <section aria-labelledby={`${id}-list`} className="stack">
        <h2 id={`${id}-list`} className="visually-hidden">
          {VIEWS.find((option) => option.value === view)?.label}
        </h2>
        {list.isPending ? (
          <Skeleton shape="list" rows={4} label="Loading follow-ups…" />
        ) : list.error && tasks.length === 0 ? (
          <ErrorMessage error={list.error} title="Could not load the follow-ups" onRetry={() => void list.refetch()} />
        ) : tasks.length === 0 ? (
          <p className="empty">{EMPTY[view]}</p>
        ) : (
          <div aria-busy={list.isPlaceholderData}>
            <TaskList
              workspaceId={workspace.id}
              tasks={tasks}
              label="Follow-ups"
              now={now}
              assignees={assignee === "all" ? names : undefined}
            />
            {list.hasNextPage && (
              <button
                type="button"
                className="button-secondary load-more"
                disabled={list.isFetchingNextPage}
                onClick={() => void list.fetchNextPage()}
              >
                {list.isFetchingNextPage ? "Loading…" : "Load more"}
              </button>
            )}
          </div>
        )}
      </section>
      {creating && <FollowUpDialog workspaceId={workspace.id} onClose={() => setCreating(false)} />}
    </div>
  );
}

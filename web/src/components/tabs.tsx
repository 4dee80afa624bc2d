import { useRef, type KeyboardEvent, type ReactNode } from 'react';

export interface TabDefinition<T extends string> {
  id: T;
  label: string;
}

/** The DOM ids that tie a tab to its panel (`aria-controls` / `aria-labelledby`). */
export function tabIds(prefix: string, id: string): { tab: string; panel: string } {
  return { tab: `${prefix}-tab-${id}`, panel: `${prefix}-panel-${id}` };
}

/**
 * A WAI-ARIA tab list: one tab in the Tab sequence (the selected one), Left/Right arrows move
 * to the previous/next tab and select it (wrapping), Home/End to the first/last. The owner
 * keeps the selection (in the URL, say) and renders the panels with `TabPanel`.
 */
export function TabList<T extends string>({
  label,
  idPrefix,
  tabs,
  selected,
  onSelect,
}: {
  /** The accessible name of the tab list. */
  label: string;
  idPrefix: string;
  tabs: readonly TabDefinition<T>[];
  selected: T;
  onSelect: (id: T) => void;
}) {
  const refs = useRef(new Map<T, HTMLButtonElement>());

  const move = (event: KeyboardEvent<HTMLButtonElement>, index: number) => {
    const last = tabs.length - 1;
    const target = {
      ArrowRight: index === last ? 0 : index + 1,
      ArrowLeft: index === 0 ? last : index - 1,
      Home: 0,
      End: last,
    }[event.key];
    const tab = target === undefined ? undefined : tabs[target];
    if (tab === undefined) return;
    event.preventDefault();
    refs.current.get(tab.id)?.focus();
    if (tab.id !== selected) onSelect(tab.id);
  };

  return (
    <div role="tablist" aria-label={label} className="tabs__list">
      {tabs.map((tab, index) => {
        const ids = tabIds(idPrefix, tab.id);
        const isSelected = tab.id === selected;
        return (
          <button
            key={tab.id}
            ref={(element) => {
              if (element) refs.current.set(tab.id, element);
              else refs.current.delete(tab.id);
            }}
            type="button"
            role="tab"
            id={ids.tab}
            className="tabs__tab"
            aria-selected={isSelected}
            aria-controls={ids.panel}
            tabIndex={isSelected ? 0 : -1}
            onClick={() => {
              if (!isSelected) onSelect(tab.id);
            }}
            onKeyDown={(event) => {
              move(event, index);
            }}
          >
            {tab.label}
          </button>
        );
      })}
    </div>
  );
}

/**
 * A tab's panel. Hidden panels stay mounted, so that what they hold (an export being
 * followed, a form being filled) survives a trip to the other tab.
 */
export function TabPanel({
  idPrefix,
  id,
  selected,
  children,
}: {
  idPrefix: string;
  id: string;
  selected: boolean;
  children: ReactNode;
}) {
  const ids = tabIds(idPrefix, id);
  return (
    <div
      role="tabpanel"
      id={ids.panel}
      aria-labelledby={ids.tab}
      className="tabs__panel"
      hidden={!selected}
      tabIndex={0}
    >
      {children}
    </div>
  );
}

/** One drawing per app, so that no two portal tiles look alike (Actualités and Agenda both start with "A"). */
import { isKnownApp, type KnownApp } from '../known-apps.ts';

/** Outlines on a 24 × 24 grid, drawn with the text colour. */
const DRAWINGS: Readonly<Record<KnownApp, readonly string[]>> = {
  // A folder.
  workspace: ['M3 6.5h6l2 2h10v10.5H3z'],
  // A pencil writing a line.
  blog: ['M5 17l1-4 9-9 3 3-9 9z', 'M13 6l3 3', 'M4 21h16'],
  // A newspaper.
  news: ['M4 4h13v16H6a2 2 0 0 1-2-2z', 'M17 8h3v10a2 2 0 0 1-2 2', 'M7 8h7', 'M7 12h7', 'M7 16h4'],
  // A calendar page with its rings.
  calendar: ['M4 6h16v14H4z', 'M4 10h16', 'M8 3v5', 'M16 3v5', 'M8 14h2', 'M14 14h2'],
  // An open book.
  wiki: ['M12 6C10 4.5 7 4 4 4v14c3 0 6 .5 8 2 2-1.5 5-2 8-2V4c-3 0-6 .5-8 2z', 'M12 6v14'],
  // A box with an arrow going into it: one's data, kept.
  archive: ['M3 4h18v4H3z', 'M5 8v12h14V8', 'M12 10v7', 'M9 14l3 3 3-3'],
};

/** The app's drawing; an app the interface does not know gets its initial. */
export function AppIcon({ id, label }: { id: string; label: string }) {
  if (!isKnownApp(id)) return <>{label.charAt(0).toLocaleUpperCase()}</>;
  return (
    <svg
      className="app-icon"
      data-app={id}
      viewBox="0 0 24 24"
      width="28"
      height="28"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      {DRAWINGS[id].map((d) => (
        <path key={d} d={d} />
      ))}
    </svg>
  );
}

import { useEffect, useId } from 'react';
import { useTranslation } from 'react-i18next';
import { markTimelineRead, type TimelineItem } from '../api/platform.ts';
import { formatDateTime } from '../format.ts';
import fr from '../locales/fr.json' with { type: 'json' };
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';

/** i18next's plural forms: `imported_one`, `imported_other`... are all the message `imported`. */
const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;
type PluralSuffix = 'zero' | 'one' | 'two' | 'few' | 'many' | 'other';
type WithoutPlural<K extends string> = K extends `${infer Base}_${PluralSuffix}` ? Base : K;

/** Dotted paths of the string leaves of a nested translation object (plural forms as one). */
type Leaves<T> = {
  [K in keyof T & string]: T[K] extends string ? WithoutPlural<K> : `${K}.${Leaves<T[K]>}`;
}[keyof T & string];

type TimelineMessageKey = Leaves<typeof fr.timeline>;

function collectLeaves(tree: object, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]: [string, unknown]) =>
    typeof value === 'string'
      ? [`${prefix}${key.replace(PLURAL_SUFFIX, '')}`]
      : typeof value === 'object' && value !== null
        ? collectLeaves(value, `${prefix}${key}.`)
        : [],
  );
}

// The English file has the same keys (checked by the type system in i18n.ts).
const KNOWN_MESSAGE_KEYS: ReadonlySet<string> = new Set(collectLeaves(fr.timeline));

function isTimelineMessageKey(key: string): key is TimelineMessageKey {
  return KNOWN_MESSAGE_KEYS.has(key);
}

/** The item's sentence from `timeline.<messageKey>`, or the raw key for an unknown message. */
export function useTimelineText(): (item: TimelineItem) => string {
  const { t } = useTranslation();
  return (item) => {
    const key = item.messageKey;
    if (!isTimelineMessageKey(key)) return key;
    const count = item.params.count;
    // Values go through `replace` so a parameter named like an i18next option (lng, ns…)
    // cannot change how the message is resolved.
    return t(`timeline.${key}`, {
      replace: item.params,
      ...(typeof count === 'number' ? { count } : {}),
    });
  };
}

interface TimelineListProps {
  items: readonly TimelineItem[];
  /** Item to move the focus to (the first one loaded by "Older"). */
  focusId?: string | undefined;
  /** Called when the user follows an item's link (to mark it read). */
  onOpen?: (item: TimelineItem) => void;
}

export function TimelineList({ items, focusId, onOpen }: TimelineListProps) {
  const { t, i18n } = useTranslation();
  const text = useTimelineText();
  const idPrefix = useId();
  const language = i18n.resolvedLanguage ?? 'fr';
  const domId = (id: string) => `${idPrefix}-item-${id}`;

  useEffect(() => {
    if (focusId !== undefined) document.getElementById(`${idPrefix}-item-${focusId}`)?.focus();
  }, [focusId, idPrefix]);

  return (
    <ol className="timeline">
      {items.map((item) => (
        <li
          key={item.id}
          id={domId(item.id)}
          tabIndex={-1}
          className={item.read ? 'timeline-item' : 'timeline-item timeline-item--unread'}
        >
          <p className="timeline-item__text">
            {!item.read && (
              <>
                <span className="tag tag--unread">
                  <span aria-hidden="true">● </span>
                  {t('timelinePage.unreadTag')}
                </span>{' '}
              </>
            )}
            {item.link === null ? (
              text(item)
            ) : (
              <Link
                to={item.link}
                onClick={() => {
                  onOpen?.(item);
                }}
              >
                {text(item)}
              </Link>
            )}
          </p>
          <p className="timeline-item__date">
            <time dateTime={item.createdAt.toISOString()}>
              {formatDateTime(item.createdAt, language)}
            </time>
          </p>
        </li>
      ))}
    </ol>
  );
}

/**
 * Handler for `onOpen`: marks the item read right away (the request survives a full-page
 * navigation thanks to `keepalive`) and updates the local list and the header count.
 */
export function useMarkReadOnOpen(
  updateItems: (update: (item: TimelineItem) => TimelineItem) => void,
): (item: TimelineItem) => void {
  const { setUnreadCount } = useSession();
  return (item) => {
    if (item.read) return;
    updateItems((current) => (current.id === item.id ? { ...current, read: true } : current));
    markTimelineRead([item.id], { keepalive: true }).then(setUnreadCount, () => {
      // Not critical: the item will show as unread again next time.
    });
  };
}

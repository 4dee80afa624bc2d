import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import fr from './locales/fr.json' with { type: 'json' };
import en from './locales/en.json' with { type: 'json' };
// Blog, Actualités, Agenda, Cours et Wiki pages, under the key `apps_ui`: what they share, and
// each app's texts in its folder (`apps_ui.<app>`).
import appsFr from './locales/apps.fr.json' with { type: 'json' };
import appsEn from './locales/apps.en.json' with { type: 'json' };
import blogFr from './apps/blog/blog.fr.json' with { type: 'json' };
import blogEn from './apps/blog/blog.en.json' with { type: 'json' };
import newsFr from './apps/news/news.fr.json' with { type: 'json' };
import newsEn from './apps/news/news.en.json' with { type: 'json' };
import calendarFr from './apps/calendar/calendar.fr.json' with { type: 'json' };
import calendarEn from './apps/calendar/calendar.en.json' with { type: 'json' };
import wikiFr from './apps/wiki/wiki.fr.json' with { type: 'json' };
import wikiEn from './apps/wiki/wiki.en.json' with { type: 'json' };
// The "Importer" tab, under the key `importer`: choosing and checking the archive (`start`),
// following the import and its report (`result`).
import importerStartFr from './locales/importer-start.fr.json' with { type: 'json' };
import importerStartEn from './locales/importer-start.en.json' with { type: 'json' };
import importerResultFr from './locales/importer-result.fr.json' with { type: 'json' };
import importerResultEn from './locales/importer-result.en.json' with { type: 'json' };

export const SUPPORTED_LANGUAGES = ['fr', 'en'] as const;
export type Language = (typeof SUPPORTED_LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'fr';

const STORAGE_KEY = 'mes-donnees.language';

// `satisfies` makes the type checker flag any key present in French but missing in English.
const appsUiFr = { ...appsFr, blog: blogFr, news: newsFr, calendar: calendarFr, wiki: wikiFr };
const appsUiEn = {
  ...appsEn,
  blog: blogEn,
  news: newsEn,
  calendar: calendarEn,
  wiki: wikiEn,
} satisfies typeof appsUiFr;

const importerFr = { ...importerStartFr, ...importerResultFr };
const importerEn = { ...importerStartEn, ...importerResultEn } satisfies typeof importerFr;

export const resources = {
  fr: { translation: { ...fr, apps_ui: appsUiFr, importer: importerFr } },
  en: { translation: { ...(en satisfies typeof fr), apps_ui: appsUiEn, importer: importerEn } },
} as const;

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: (typeof resources)['fr'];
  }
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (SUPPORTED_LANGUAGES as readonly string[]).includes(value);
}

function readStoredLanguage(): Language | undefined {
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    return isLanguage(stored) ? stored : undefined;
  } catch {
    // Storage can be unavailable (private browsing, blocked cookies): fall back to the default.
    return undefined;
  }
}

function storeLanguage(language: Language): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // Not being able to remember the choice is not worth bothering the user about.
  }
}

/** The language currently displayed, narrowed to the supported ones. */
export function currentLanguage(): Language {
  const resolved = i18next.resolvedLanguage;
  return isLanguage(resolved) ? resolved : DEFAULT_LANGUAGE;
}

/** Switches the interface language and remembers the choice in this browser. */
export async function setLanguage(language: Language): Promise<void> {
  storeLanguage(language);
  await i18next.changeLanguage(language);
}

i18next.on('languageChanged', (language) => {
  document.documentElement.lang = isLanguage(language) ? language : DEFAULT_LANGUAGE;
});

void i18next.use(initReactI18next).init({
  resources,
  lng: readStoredLanguage() ?? DEFAULT_LANGUAGE,
  fallbackLng: DEFAULT_LANGUAGE,
  supportedLngs: SUPPORTED_LANGUAGES,
  // Resources are bundled, so initialisation can complete synchronously before the first render.
  initAsync: false,
  // React already escapes interpolated values.
  interpolation: { escapeValue: false },
});

export default i18next;

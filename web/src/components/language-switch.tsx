import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { SUPPORTED_LANGUAGES, currentLanguage, setLanguage } from '../i18n.ts';

/** Two toggle buttons; each language name is written in that language. */
export function LanguageSwitch() {
  const { t } = useTranslation();
  const labelId = useId();
  const active = currentLanguage();

  return (
    <div className="language-switch" role="group" aria-labelledby={labelId}>
      <span id={labelId} className="language-switch__label">
        {t('language.label')}
      </span>
      {SUPPORTED_LANGUAGES.map((language) => (
        <button
          key={language}
          type="button"
          className="language-switch__button"
          lang={language}
          aria-pressed={language === active}
          onClick={() => {
            void setLanguage(language);
          }}
        >
          {t(`language.names.${language}`)}
        </button>
      ))}
    </div>
  );
}

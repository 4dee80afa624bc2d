import { useTranslation } from 'react-i18next';
import { isFailureCode } from '../../../../src/contracts/archive.ts';

/**
 * A failure code of the server (`FAILURE_CODES`) in the interface language; anything else
 * (an older row that still holds the server's text) reads as "unknown reason", never as is.
 */
export function useFailureText(): (code: string | null | undefined) => string {
  const { t } = useTranslation();
  return (code) =>
    isFailureCode(code) ? t(`archive.failure.${code}`) : t('archive.failure.unknown');
}

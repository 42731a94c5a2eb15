<?php
/**
 * Signatures the Aftercare service verifies: admin links and server-to-server requests.
 *
 * Pure functions of their inputs (no WordPress calls), so the service's tests can run them too.
 *
 * @package Aftercare
 */

defined( 'ABSPATH' ) || exit;

/**
 * Builds signed admin links and signed request headers.
 */
class Aftercare_Signer {

	/**
	 * The admin link: {app}/woocommerce/admin?shop=&ts=&nonce=&sig=.
	 *
	 * @param string $app_url     Service URL without trailing slash.
	 * @param int    $shop_id     Service shop id.
	 * @param string $link_secret Signing secret.
	 * @param int    $timestamp   Unix time.
	 * @param string $nonce       32 hex characters.
	 * @return string
	 */
	public static function admin_link( string $app_url, int $shop_id, string $link_secret, int $timestamp, string $nonce ): string {
		$message = 'admin.' . $shop_id . '.' . $timestamp . '.' . $nonce;
		$query   = array(
			'shop'  => $shop_id,
			'ts'    => $timestamp,
			'nonce' => $nonce,
			'sig'   => self::base64url( hash_hmac( 'sha256', $message, $link_secret, true ) ),
		);
		return $app_url . '/woocommerce/admin?' . http_build_query( $query, '', '&', PHP_QUERY_RFC3986 );
	}

	/**
	 * Headers of a signed server-to-server request with this exact raw body.
	 *
	 * @param int    $shop_id     Service shop id.
	 * @param string $link_secret Signing secret.
	 * @param int    $timestamp   Unix time.
	 * @param string $raw_body    The body bytes as sent.
	 * @return array<string, string>
	 */
	public static function request_headers( int $shop_id, string $link_secret, int $timestamp, string $raw_body ): array {
		$signature = hash_hmac( 'sha256', $timestamp . '.' . $raw_body, $link_secret, true );
		return array(
			'Content-Type'          => 'application/json',
			'X-Aftercare-Shop'      => (string) $shop_id,
			'X-Aftercare-Timestamp' => (string) $timestamp,
			'X-Aftercare-Signature' => base64_encode( $signature ), // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- a signature, not obfuscation.
		);
	}

	/**
	 * A fresh random nonce: 32 hex characters.
	 *
	 * @return string
	 */
	public static function new_nonce(): string {
		return bin2hex( random_bytes( 16 ) );
	}

	/**
	 * URL-safe base64 without "=" padding.
	 *
	 * @param string $raw Bytes.
	 * @return string
	 */
	public static function base64url( string $raw ): string {
		return rtrim( strtr( base64_encode( $raw ), '+/', '-_' ), '=' ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- a signature, not obfuscation.
	}
}
